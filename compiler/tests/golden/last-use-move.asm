k0 = {}
k1 = :a

function f0 <lambda> (entry): arity 0, locals 0, stack 1, captures []
  0000           Closure f1
  0005           StoreGlobal s0  ; tally
  0010           Closure f2
  0015           StoreGlobal s1  ; in-loop
  0020           Closure f3
  0025           StoreGlobal s2  ; guarded
  0030           Nil
  0031           Return

function f1 tally: arity 2, locals 2, stack 5, captures []
  0000           LoadLocal2 l0 l1
  0005           MoveLocal l0
  0008           MoveLocal l1
  0011           Int 0
  0016           CallGlobal s3 #3  ; get
  0023           Int 1
  0028           Add
  0029           TailCallGlobal s4 #3  ; assoc

function f2 in-loop: arity 1, locals 3, stack 4, captures []
  0000           Int 0
  0005           StoreLocal l1
  0008           Const k0  ; {}
  0013           StoreLocal l2
  0016           LoadLocal2 l1 l0
  0021           NumEqJumpIfTrue @60
  0026           AddLocalInt l1 1
  0033           MoveLocal l2
  0036           LoadLocal l1
  0039           MoveLocal l1
  0042           CallGlobal s4 #3  ; assoc
  0049           StoreLocal l2
  0052           StoreLocal l1
  0055           Jump @16
  0060           MoveLocal l2
  0063           Return

function f3 guarded: arity 1, locals 2, stack 3, captures []
  0000           PushHandler @27
  0005           LoadLocal l0
  0008           Const k1  ; :a
  0013           Int 1
  0018           CallGlobal s4 #3  ; assoc
  0025           PopHandler
  0026           Return
  0027           StoreLocal l1
  0030           MoveLocal l0
  0033           Return
