k0 = "yes"

function f0 <lambda> (entry): arity 0, registers 2, captures []
  0000           LoadConst r1 k0  ; "yes"
  0007           CallGlobal s0 r0 #1  ; println
  0015           LoadFalse r1
  0018           CallGlobal s0 r0 #1  ; println
  0026           LoadInt r1 5
  0033           TailCallGlobal s0 r0 #1  ; println
