
function f0 <lambda> (entry): arity 0, locals 0, stack 1, captures []
  0000           Closure f1
  0005           StoreGlobal s0  ; f
  0010           Nil
  0011           Return

function f1 f: arity 1, locals 1, stack 1, captures []
  0000           Int 2
  0005           StoreLocal l0
  0008           MoveLocal l0
  0011           Return
