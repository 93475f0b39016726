k0 = 'done

function f0 <lambda> (entry): arity 0, locals 0, stack 1, captures []
  0000           Closure f1
  0005           StoreGlobal s0  ; loop
  0010           Closure f2
  0015           StoreGlobal s1  ; f
  0020           Closure f3
  0025           StoreGlobal s2  ; h
  0030           Closure f4
  0035           StoreGlobal s3  ; k
  0040           Nil
  0041           Return

function f1 loop: arity 1, locals 1, stack 2, captures []
  0000           LoadLocal l0
  0003           Int 0
  0008           NumEqJumpIfFalse @19
  0013           Const k0  ; 'done
  0018           Return
  0019           SubLocalInt l0 1
  0026           TailCallGlobal s0 #1  ; loop

function f2 f: arity 1, locals 1, stack 2, captures []
  0000           LoadLocal l0
  0003           Int 1
  0008           NumEqJumpIfFalse @23
  0013           MoveLocal l0
  0016           TailCallGlobal s5 #1  ; g
  0023           LoadLocal l0
  0026           JumpIfFalse @45
  0031           SubLocalInt l0 1
  0038           TailCallGlobal s5 #1  ; g
  0045           Nil
  0046           Return

function f3 h: arity 1, locals 1, stack 1, captures []
  0000           LoadLocal l0
  0003           JumpIfFalseOrPop @18
  0008           MoveLocal l0
  0011           TailCallGlobal s5 #1  ; g
  0018           Return

function f4 k: arity 0, locals 1, stack 2, captures []
  0000           Int 0
  0005           StoreLocal l0
  0008           LoadLocal l0
  0011           Int 10
  0016           LtJumpIfFalse @36
  0021           AddLocalInt l0 1
  0028           StoreLocal l0
  0031           Jump @8
  0036           MoveLocal l0
  0039           Return
