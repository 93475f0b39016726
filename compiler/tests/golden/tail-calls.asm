k0 = 'done

function f0 <lambda> (entry): arity 0, registers 2, captures []
  0000           Closure r0 f1
  0007           StoreGlobal s0 r0  ; loop
  0014           Closure r0 f2
  0021           StoreGlobal s1 r0  ; f
  0028           Closure r0 f3
  0035           StoreGlobal s2 r0  ; h
  0042           Closure r0 f4
  0049           StoreGlobal s3 r0  ; k
  0056           LoadNil r1
  0059           Return r1 w2

function f1 loop: arity 1, registers 3, captures []
  0000           LoadInt r1 0
  0007           NumEqJumpIfFalse r0 r1 @26
  0014           LoadConst r1 k0  ; 'done
  0021           Return r1 w2
  0026           SubInt r2 r0 1
  0033           TailCallGlobal s0 r1 #1  ; loop

function f2 f: arity 1, registers 3, captures []
  0000           LoadInt r1 1
  0007           NumEqJumpIfFalse r0 r1 @27
  0014           MoveOut r2 r0
  0019           TailCallGlobal s5 r1 #1  ; g
  0027           JumpIfFalse r0 @49
  0034           SubInt r2 r0 1
  0041           TailCallGlobal s5 r1 #1  ; g
  0049           LoadNil r1
  0052           Return r1 w2

function f3 h: arity 1, registers 4, captures []
  0000           Move r1 r0
  0005           JumpIfFalse r1 @25
  0012           MoveOut r3 r0
  0017           TailCallGlobal s5 r2 #1  ; g
  0025           Return r1 w2

function f4 k: arity 0, registers 2, captures []
  0000           LoadInt r0 0
  0007           LoadInt r1 10
  0014           LtJumpIfFalse r0 r1 @35
  0021           AddInt r0 r0 1
  0028           LtJumpIfTrue r0 r1 @21
  0035           Return r0 w2
