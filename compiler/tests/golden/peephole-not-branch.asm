
function f0 <lambda> (entry): arity 0, locals 0, stack 1, captures []
  0000           Closure f1
  0005           StoreGlobal s0  ; f
  0010           Nil
  0011           Return

function f1 f: arity 1, locals 1, stack 1, captures []
  0000           MoveLocal l0
  0003           JumpIfTrue @14
  0008           Int 1
  0013           Return
  0014           Int 2
  0019           Return
