k0 = 1/2
k1 = 9223372036854775808

function f0 <lambda> (entry): arity 0, registers 4, captures []
  0000           LoadInt r1 7
  0007           LoadConst r2 k0  ; 1/2
  0014           LoadConst r3 k1  ; 9223372036854775808
  0021           TailCallGlobal s0 r0 #3  ; println
