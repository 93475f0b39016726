
function f0 <lambda> (entry): arity 0, locals 0, stack 2, captures []
  0000           Int 1
  0005           Int 0
  0010           Div
  0011           CallGlobal s0 #1  ; println
  0018           Pop
  0019           Int 5
  0024           Int 0
  0029           Mod
  0030           TailCallGlobal s0 #1  ; println
