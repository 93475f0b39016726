
function f0 <lambda> (entry): arity 0, registers 2, captures []
  0000           Closure r0 f1
  0007           StoreGlobal s0 r0  ; sum
  0014           Closure r0 f2
  0021           StoreGlobal s1 r0  ; count-down
  0028           Closure r0 f3
  0035           StoreGlobal s2 r0  ; walk
  0042           LoadNil r1
  0045           Return r1 w2

function f1 sum: arity 1, registers 4, captures []
  0000           LoadInt r1 0
  0007           LoadInt r2 0
  0014           NumEqJumpIfFalse r1 r0 @26
  0021           Return r2 w4
  0026           AddInt r3 r1 1
  0033           Add r2 r2 r1
  0040           MoveOut r1 r3
  0045           NumEqJumpIfFalse r1 r0 @26
  0052           Jump @21

function f2 count-down: arity 1, registers 4, captures []
  0000           MoveOut r1 r0
  0005           LoadInt r2 0
  0012           GtJumpIfFalse r1 r2 @33
  0019           SubInt r1 r1 1
  0026           GtJumpIfTrue r1 r2 @19
  0033           LoadNil r3
  0036           Return r3 w4

function f3 walk: arity 1, registers 3, captures []
  0000           MoveOut r1 r0
  0005           LoadInt r2 0
  0012           JumpIfNotNil r1 @24
  0019           Return r2 w3
  0024           Cdr r1 r1
  0029           AddInt r2 r2 1
  0036           JumpIfNotNil r1 @24
  0043           Jump @19
