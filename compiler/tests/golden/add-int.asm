
function f0 <lambda> (entry): arity 0, registers 2, captures []
  0000           Closure r0 f1
  0007           StoreGlobal s0 r0  ; inc
  0014           Closure r0 f2
  0021           StoreGlobal s1 r0  ; dec
  0028           Closure r0 f3
  0035           StoreGlobal s2 r0  ; far
  0042           LoadNil r1
  0045           Return r1 w2

function f1 inc: arity 1, registers 2, captures []
  0000           AddInt r1 r0 1
  0007           Return r1 w2

function f2 dec: arity 1, registers 2, captures []
  0000           SubInt r1 r0 1
  0007           Return r1 w2

function f3 far: arity 1, registers 3, captures []
  0000           LoadInt r2 40000
  0007           Add r1 r0 r2
  0014           Return r1 w3
