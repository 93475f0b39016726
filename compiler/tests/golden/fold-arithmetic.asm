k0 = 1/2
k1 = 9223372036854775808

function f0 <lambda> (entry): arity 0, locals 0, stack 3, captures []
  0000           Int 7
  0005           Const k0  ; 1/2
  0010           Const k1  ; 9223372036854775808
  0015           TailCallGlobal s0 #3  ; println
