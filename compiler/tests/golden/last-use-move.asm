k0 = {}
k1 = :a

function f0 <lambda> (entry): arity 0, registers 2, captures []
  0000           Closure r0 f1
  0007           StoreGlobal s0 r0  ; tally
  0014           Closure r0 f2
  0021           StoreGlobal s1 r0  ; in-loop
  0028           Closure r0 f3
  0035           StoreGlobal s2 r0  ; guarded
  0042           LoadNil r1
  0045           Return r1 w2

function f1 tally: arity 2, registers 10, captures []
  0000           Move r3 r0
  0005           Move r4 r1
  0010           MoveOut r7 r0
  0015           MoveOut r8 r1
  0020           LoadInt r9 0
  0027           CallGlobal s3 r6 #3  ; get
  0035           AddInt r5 r6 1
  0042           TailCallGlobal s4 r2 #3  ; assoc

function f2 in-loop: arity 1, registers 8, captures []
  0000           LoadInt r1 0
  0007           LoadConst r2 k0  ; {}
  0014           NumEqJumpIfTrue r1 r0 @68
  0021           AddInt r3 r1 1
  0028           MoveOut r5 r2
  0033           Move r6 r1
  0038           MoveOut r7 r1
  0043           CallGlobal s4 r4 #3  ; assoc
  0051           MoveOut r2 r4
  0056           MoveOut r1 r3
  0061           NumEqJumpIfFalse r1 r0 @21
  0068           Return r2 w8

function f3 guarded: arity 1, registers 7, captures []
  0000           PushHandler r2 @45
  0007           Move r4 r0
  0012           LoadConst r5 k1  ; :a
  0019           LoadInt r6 1
  0026           CallGlobal s4 r3 #3  ; assoc
  0034           MoveOut r1 r3
  0039           PopHandler
  0040           Return r1 w7
  0045           Return r0 w7
