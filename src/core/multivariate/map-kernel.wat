;; The block map's two loops in WebAssembly SIMD (map-kernel.ts; docs/multivariate.md, "Cost").
;; Assembled by `npm run build:wasm` (config/build/wasm.mjs) into map-kernel-wasm.ts, which a unit
;; test re-assembles from this file and compares byte for byte.
;;
;; Every lane computes what rff-mmd.ts computes for one value, operation for operation, with
;; IEEE-754 multiplications and additions (no fused multiply-add), so the results are the bits of
;; the JavaScript functions: the lanes are what make it faster, not a different arithmetic.
;;
;; Memory is laid out by map-kernel.ts: ω (row-major, ω_i at i·d), the phases b, the block's rows
;; transposed (row r's input j at j·4 + r: one vector holds rows 0 and 1, the next rows 2 and 3),
;; the arguments t and the cosines c (t[4i + r] is projection i of row r, as in addFeatureMapBlock).
(module
  (memory (export "memory") 1)

  ;; t[4i + r] = b_i + ω_i0·x_r0 + ω_i1·x_r1 + … (added in that order), i < P, r < 4.
  (func (export "project") (param $omega i32) (param $phase i32) (param $rows i32) (param $t i32) (param $P i32) (param $d i32)
    (local $end i32) (local $x i32) (local $xEnd i32) (local $w v128) (local $t01 v128) (local $t23 v128)
    (local.set $end (i32.add (local.get $phase) (i32.shl (local.get $P) (i32.const 3))))
    (block $done
      (loop $projection
        (br_if $done (i32.ge_u (local.get $phase) (local.get $end)))
        (local.set $t01 (v128.load64_splat (local.get $phase)))
        (local.set $t23 (local.get $t01))
        (local.set $x (local.get $rows))
        (local.set $xEnd (i32.add (local.get $rows) (i32.shl (local.get $d) (i32.const 5))))
        (block $dotted
          (loop $input
            (br_if $dotted (i32.ge_u (local.get $x) (local.get $xEnd)))
            (local.set $w (v128.load64_splat (local.get $omega)))
            (local.set $t01 (f64x2.add (local.get $t01) (f64x2.mul (local.get $w) (v128.load (local.get $x)))))
            (local.set $t23 (f64x2.add (local.get $t23) (f64x2.mul (local.get $w) (v128.load offset=16 (local.get $x)))))
            (local.set $omega (i32.add (local.get $omega) (i32.const 8)))
            (local.set $x (i32.add (local.get $x) (i32.const 32)))
            (br $input)))
        (v128.store (local.get $t) (local.get $t01))
        (v128.store offset=16 (local.get $t) (local.get $t23))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $phase (i32.add (local.get $phase) (i32.const 8)))
        (br $projection))))

  ;; c[m] = scale · cosine(t[m]) for m < n (n a multiple of 4), rff-mmd.ts's `cosine` in four lanes:
  ;; k = Math.round(t / 2π) (as ceil(y), one less where ceil(y) − 0.5 > y: exact, and Math.round's
  ;; ties), h = t/2 − kπ_hi − kπ_lo, c = 2·p(h²)² − 1 with p cosinePolynomial's Horner form.
  ;; Returns 1 when some |t[m]| > 1024 or is NaN: those lanes are Math.cos's (the caller redoes them).
  (func (export "cosines") (param $t i32) (param $c i32) (param $n i32) (param $scale f64) (result i32)
    (local $end i32) (local $s v128) (local $outside v128)
    (local $x0 v128) (local $x1 v128) (local $k0 v128) (local $k1 v128) (local $u0 v128) (local $u1 v128) (local $p0 v128) (local $p1 v128)
    (local.set $s (f64x2.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $t) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $t) (local.get $end)))
        (local.set $x0 (v128.load (local.get $t)))
        (local.set $x1 (v128.load offset=16 (local.get $t)))
        (local.set $outside
          (v128.or (local.get $outside)
            (v128.or
              (v128.not (f64x2.le (f64x2.abs (local.get $x0)) (f64x2.splat (f64.const 1024))))
              (v128.not (f64x2.le (f64x2.abs (local.get $x1)) (f64x2.splat (f64.const 1024)))))))
        ;; k = Math.round(t · 1/2π)
        (local.set $u0 (f64x2.mul (local.get $x0) (f64x2.splat (f64.const 0.15915494309189535))))
        (local.set $u1 (f64x2.mul (local.get $x1) (f64x2.splat (f64.const 0.15915494309189535))))
        (local.set $k0 (f64x2.ceil (local.get $u0)))
        (local.set $k1 (f64x2.ceil (local.get $u1)))
        (local.set $k0 (f64x2.sub (local.get $k0)
          (v128.and (f64x2.gt (f64x2.sub (local.get $k0) (f64x2.splat (f64.const 0.5))) (local.get $u0)) (f64x2.splat (f64.const 1)))))
        (local.set $k1 (f64x2.sub (local.get $k1)
          (v128.and (f64x2.gt (f64x2.sub (local.get $k1) (f64x2.splat (f64.const 0.5))) (local.get $u1)) (f64x2.splat (f64.const 1)))))
        ;; h = t·0.5 − k·π_hi − k·π_lo, u = h²
        (local.set $u0 (f64x2.sub
          (f64x2.sub (f64x2.mul (local.get $x0) (f64x2.splat (f64.const 0.5))) (f64x2.mul (local.get $k0) (f64x2.splat (f64.const 3.141592653589793))))
          (f64x2.mul (local.get $k0) (f64x2.splat (f64.const 1.2246467991473532e-16)))))
        (local.set $u1 (f64x2.sub
          (f64x2.sub (f64x2.mul (local.get $x1) (f64x2.splat (f64.const 0.5))) (f64x2.mul (local.get $k1) (f64x2.splat (f64.const 3.141592653589793))))
          (f64x2.mul (local.get $k1) (f64x2.splat (f64.const 1.2246467991473532e-16)))))
        (local.set $u0 (f64x2.mul (local.get $u0) (local.get $u0)))
        (local.set $u1 (f64x2.mul (local.get $u1) (local.get $u1)))
        ;; p = 1 + u(−1/2 + u(1/4! + … + u(−1/18! + u/20!))), innermost first
        (local.set $p0 (f64x2.add (f64x2.splat (f64.const -1.5619206968586225e-16)) (f64x2.mul (local.get $u0) (f64x2.splat (f64.const 4.110317623312165e-19)))))
        (local.set $p1 (f64x2.add (f64x2.splat (f64.const -1.5619206968586225e-16)) (f64x2.mul (local.get $u1) (f64x2.splat (f64.const 4.110317623312165e-19)))))
        (local.set $p0 (f64x2.add (f64x2.splat (f64.const 4.779477332387385e-14)) (f64x2.mul (local.get $u0) (local.get $p0))))
        (local.set $p1 (f64x2.add (f64x2.splat (f64.const 4.779477332387385e-14)) (f64x2.mul (local.get $u1) (local.get $p1))))
        (local.set $p0 (f64x2.add (f64x2.splat (f64.const -1.1470745597729725e-11)) (f64x2.mul (local.get $u0) (local.get $p0))))
        (local.set $p1 (f64x2.add (f64x2.splat (f64.const -1.1470745597729725e-11)) (f64x2.mul (local.get $u1) (local.get $p1))))
        (local.set $p0 (f64x2.add (f64x2.splat (f64.const 2.08767569878681e-9)) (f64x2.mul (local.get $u0) (local.get $p0))))
        (local.set $p1 (f64x2.add (f64x2.splat (f64.const 2.08767569878681e-9)) (f64x2.mul (local.get $u1) (local.get $p1))))
        (local.set $p0 (f64x2.add (f64x2.splat (f64.const -2.755731922398589e-7)) (f64x2.mul (local.get $u0) (local.get $p0))))
        (local.set $p1 (f64x2.add (f64x2.splat (f64.const -2.755731922398589e-7)) (f64x2.mul (local.get $u1) (local.get $p1))))
        (local.set $p0 (f64x2.add (f64x2.splat (f64.const 2.48015873015873e-5)) (f64x2.mul (local.get $u0) (local.get $p0))))
        (local.set $p1 (f64x2.add (f64x2.splat (f64.const 2.48015873015873e-5)) (f64x2.mul (local.get $u1) (local.get $p1))))
        (local.set $p0 (f64x2.add (f64x2.splat (f64.const -0.001388888888888889)) (f64x2.mul (local.get $u0) (local.get $p0))))
        (local.set $p1 (f64x2.add (f64x2.splat (f64.const -0.001388888888888889)) (f64x2.mul (local.get $u1) (local.get $p1))))
        (local.set $p0 (f64x2.add (f64x2.splat (f64.const 0.041666666666666664)) (f64x2.mul (local.get $u0) (local.get $p0))))
        (local.set $p1 (f64x2.add (f64x2.splat (f64.const 0.041666666666666664)) (f64x2.mul (local.get $u1) (local.get $p1))))
        (local.set $p0 (f64x2.add (f64x2.splat (f64.const -0.5)) (f64x2.mul (local.get $u0) (local.get $p0))))
        (local.set $p1 (f64x2.add (f64x2.splat (f64.const -0.5)) (f64x2.mul (local.get $u1) (local.get $p1))))
        (local.set $p0 (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $u0) (local.get $p0))))
        (local.set $p1 (f64x2.add (f64x2.splat (f64.const 1)) (f64x2.mul (local.get $u1) (local.get $p1))))
        ;; c = scale · (2p·p − 1)
        (v128.store (local.get $c)
          (f64x2.mul (local.get $s) (f64x2.sub (f64x2.mul (f64x2.mul (f64x2.splat (f64.const 2)) (local.get $p0)) (local.get $p0)) (f64x2.splat (f64.const 1)))))
        (v128.store offset=16 (local.get $c)
          (f64x2.mul (local.get $s) (f64x2.sub (f64x2.mul (f64x2.mul (f64x2.splat (f64.const 2)) (local.get $p1)) (local.get $p1)) (f64x2.splat (f64.const 1)))))
        (local.set $t (i32.add (local.get $t) (i32.const 32)))
        (local.set $c (i32.add (local.get $c) (i32.const 32)))
        (br $next)))
    (v128.any_true (local.get $outside))))
