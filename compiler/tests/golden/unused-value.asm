
function f0 <lambda> (entry): arity 0, registers 2, captures []
  0000           Closure r0 f1
  0007           StoreGlobal s0 r0  ; f
  0014           LoadNil r1
  0017           Return r1 w2

function f1 f: arity 1, registers 1, captures []
  0000           LoadInt r0 2
  0007           Return r0 w1
