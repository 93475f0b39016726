
function f0 <lambda> (entry): arity 0, locals 0, stack 1, captures []
  0000           Closure f1
  0005           StoreGlobal s0  ; counter
  0010           Nil
  0011           Return

function f1 counter: arity 0, locals 2, stack 1, captures []
  0000           Int 0
  0005           StoreLocal l0
  0008           MakeCell l0
  0011           Int 1
  0016           StoreLocal l1
  0019           Closure f2
  0024           Return

function f2 <lambda>: arity 0, locals 0, stack 2, captures [l0 l1]
  0000           LoadCellCapture c0
  0003           LoadCapture c1
  0006           Add
  0007           StoreCellCapture c0
  0010           LoadCellCapture c0
  0013           Return
