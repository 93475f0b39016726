
function f0 <lambda> (entry): arity 0, registers 2, captures []
  0000           Closure r0 f1
  0007           StoreGlobal s0 r0  ; counter
  0014           LoadNil r1
  0017           Return r1 w2

function f1 counter: arity 0, registers 3, captures []
  0000           LoadInt r0 0
  0007           MakeCell r0
  0010           LoadInt r1 1
  0017           Closure r2 f2
  0024           Return r2 w3

function f2 <lambda>: arity 0, registers 3, captures [r0 r1]
  0000           LoadCellCapture r1 c0
  0005           LoadCapture r2 c1
  0010           Add r0 r1 r2
  0017           StoreCellCapture c0 r0
  0022           LoadCellCapture r0 c0
  0027           Return r0 w3
