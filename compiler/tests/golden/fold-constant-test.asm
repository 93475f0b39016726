k0 = "yes"

function f0 <lambda> (entry): arity 0, locals 0, stack 1, captures []
  0000           Const k0  ; "yes"
  0005           CallGlobal s0 #1  ; println
  0012           Pop
  0013           False
  0014           CallGlobal s0 #1  ; println
  0021           Pop
  0022           Int 5
  0027           TailCallGlobal s0 #1  ; println
