
function f0 <lambda> (entry): arity 0, locals 0, stack 1, captures []
  0000           Closure f1
  0005           StoreGlobal s0  ; inc
  0010           Nil
  0011           Return

function f1 inc: arity 1, locals 1, stack 1, captures []
  0000           AddLocalInt l0 1
  0007           Return
