
function f0 <lambda> (entry): arity 0, registers 4, captures []
  0000           LoadInt r2 1
  0007           LoadInt r3 0
  0014           Div r1 r2 r3
  0021           CallGlobal s0 r0 #1  ; println
  0029           LoadInt r2 5
  0036           LoadInt r3 0
  0043           Mod r1 r2 r3
  0050           TailCallGlobal s0 r0 #1  ; println
