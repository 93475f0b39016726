
function f0 <lambda> (entry): arity 0, registers 2, captures []
  0000           Closure r0 f1
  0007           StoreGlobal s0 r0  ; add
  0014           Closure r0 f2
  0021           StoreGlobal s1 r0  ; square
  0028           Closure r0 f3
  0035           StoreGlobal s2 r0  ; alias
  0042           Closure r0 f4
  0049           StoreGlobal s3 r0  ; lets
  0056           LoadNil r1
  0059           Return r1 w2

function f1 add: arity 2, registers 3, captures []
  0000           Add r2 r0 r1
  0007           Return r2 w3

function f2 square: arity 1, registers 2, captures []
  0000           Mul r1 r0 r0
  0007           Return r1 w2

function f3 alias: arity 1, registers 4, captures []
  0000           MoveOut r2 r0
  0005           LoadInt r0 5
  0012           MoveOut r3 r0
  0017           Add r1 r2 r3
  0024           Return r1 w4

function f4 lets: arity 0, registers 3, captures []
  0000           CallGlobal s4 r2 #0  ; h
  0008           MoveOut r1 r2
  0013           CallGlobal s5 r0 #1  ; g
  0021           CallGlobal s4 r2 #0  ; h
  0029           MoveOut r1 r2
  0034           TailCallGlobal s5 r0 #1  ; g
