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
  0000           LoadLocal l0
  0003           LoadLocal l1
  0006           MoveLocal l0
  0009           MoveLocal l1
  0012           Int 0
  0017           CallGlobal s3 #3  ; get
  0024           Int 1
  0029           Add
  0030           TailCallGlobal s4 #3  ; assoc

function f2 in-loop: arity 1, locals 3, stack 4, captures []
  0000           Int 0
  0005           StoreLocal l1
  0008           Const k0  ; {}
  0013           StoreLocal l2
  0016           LoadLocal l1
  0019           LoadLocal l0
  0022           NumEqJumpIfTrue @61
  0027           AddLocalInt l1 1
  0034           MoveLocal l2
  0037           LoadLocal l1
  0040           MoveLocal l1
  0043           CallGlobal s4 #3  ; assoc
  0050           StoreLocal l2
  0053           StoreLocal l1
  0056           Jump @16
  0061           MoveLocal l2
  0064           Return

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
