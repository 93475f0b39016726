
function f0 <lambda> (entry): arity 0, registers 2, captures []
  0000           Closure r0 f1
  0007           StoreGlobal s0 r0  ; f
  0014           Closure r0 f2
  0021           StoreGlobal s1 r0  ; g
  0028           LoadNil r1
  0031           Return r1 w2

function f1 f: arity 1, registers 2, captures []
  0000           JumpIfTrue r0 @19
  0007           LoadInt r1 1
  0014           Return r1 w2
  0019           LoadInt r1 2
  0026           Return r1 w2

function f2 g: arity 2, registers 2, captures []
  0000           LtJumpIfTrue r0 r1 @12
  0007           Return r0 w2
  0012           Return r1 w2
