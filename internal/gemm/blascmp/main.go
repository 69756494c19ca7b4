//go:build openblas && linux && cgo

// Command blascmp times this module's gemm package against OpenBLAS (and
// gonum) in one process, alternating the implementations so that they see
// the same machine load. It is excluded from normal builds, which stay pure
// Go; run it with
//
//	apt-get install -y libopenblas-dev
//	env -u OPENBLAS_CORETYPE go run -tags openblas ./internal/gemm/blascmp -reps 15
//
// It reports, per shape and dtype, the median and range of GFLOP/s, the
// same over "clean" samples (those during which other processes used less
// than -quiet of the CPUs, read from /proc/stat), and the median of the
// paired ratios asm/openblas.
package main

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
void openblas_set_num_threads(int);
char* openblas_get_corename(void);
char* openblas_get_config(void);
*/
import "C"

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/chainrule/chainrule/internal/gemm"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

func main() {
	reps := flag.Int("reps", 15, "paired repetitions")
	shapes := flag.String("shapes", "512x512x512", "MxNxK list")
	threads := flag.Int("threads", 2, "threads for both")
	which := flag.String("impl", "asm,go,gonum,openblas", "implementations")
	quiet := flag.Float64("quiet", 0.1, "max share of CPU used by other processes for a clean sample")
	sleep := flag.Duration("sleep", 150*time.Millisecond, "pause between blocks")
	flag.Parse()
	runtime.GOMAXPROCS(*threads)
	C.openblas_set_num_threads(C.int(*threads))
	fmt.Printf("openblas core=%s config=%s; gemm kernel=%s GOMAXPROCS=%d\n", C.GoString(C.openblas_get_corename()), C.GoString(C.openblas_get_config()), gemm.Kernel(), runtime.GOMAXPROCS(0))
	impls := strings.Split(*which, ",")
	for _, s := range strings.Split(*shapes, ",") {
		var m, n, k int
		fmt.Sscanf(s, "%dx%dx%d", &m, &n, &k)
		for _, f32 := range []bool{false, true} {
			a64 := rnd(m * k)
			b64 := rnd(k * n)
			c64 := make([]float64, m*n)
			a32, b32, c32 := to32(a64), to32(b64), make([]float32, m*n)
			flops := 2 * float64(m) * float64(n) * float64(k)
			iters := max(1, int(1e10/flops))
			fns := map[string]func(){
				"asm": func() {
					gemm.UseAsm = true
					if f32 {
						gemm.F32(false, false, m, n, k, 1, a32, k, b32, n, 0, c32, n)
					} else {
						gemm.F64(false, false, m, n, k, 1, a64, k, b64, n, 0, c64, n)
					}
				},
				"go": func() {
					gemm.UseAsm = false
					if f32 {
						gemm.F32(false, false, m, n, k, 1, a32, k, b32, n, 0, c32, n)
					} else {
						gemm.F64(false, false, m, n, k, 1, a64, k, b64, n, 0, c64, n)
					}
				},
				"gonum": func() {
					if f32 {
						blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, blas32.General{Rows: m, Cols: k, Stride: k, Data: a32}, blas32.General{Rows: k, Cols: n, Stride: n, Data: b32}, 0, blas32.General{Rows: m, Cols: n, Stride: n, Data: c32})
					} else {
						blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, blas64.General{Rows: m, Cols: k, Stride: k, Data: a64}, blas64.General{Rows: k, Cols: n, Stride: n, Data: b64}, 0, blas64.General{Rows: m, Cols: n, Stride: n, Data: c64})
					}
				},
				"openblas": func() {
					if f32 {
						C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, C.CblasNoTrans, C.blasint(m), C.blasint(n), C.blasint(k), 1, (*C.float)(unsafe.Pointer(&a32[0])), C.blasint(k), (*C.float)(unsafe.Pointer(&b32[0])), C.blasint(n), 0, (*C.float)(unsafe.Pointer(&c32[0])), C.blasint(n))
					} else {
						C.cblas_dgemm(C.CblasRowMajor, C.CblasNoTrans, C.CblasNoTrans, C.blasint(m), C.blasint(n), C.blasint(k), 1, (*C.double)(unsafe.Pointer(&a64[0])), C.blasint(k), (*C.double)(unsafe.Pointer(&b64[0])), C.blasint(n), 0, (*C.double)(unsafe.Pointer(&c64[0])), C.blasint(n))
					}
				},
			}
			res := map[string][]float64{}
			clean := map[string][]float64{}
			fore := map[string][]float64{}
			for r := 0; r < *reps; r++ {
				for _, name := range impls {
					f := fns[name]
					it := iters
					if name == "go" || name == "gonum" {
						it = max(1, iters/8)
					}
					f()
					b0, own0 := busy(), ownCPU()
					t := time.Now()
					for range it {
						f()
					}
					wall := time.Since(t).Seconds()
					foreign := ((busy() - b0) - (ownCPU() - own0)) / (float64(runtime.NumCPU()) * wall)
					g := flops * float64(it) / wall / 1e9
					res[name] = append(res[name], g)
					if foreign < *quiet {
						clean[name] = append(clean[name], g)
					}
					fore[name] = append(fore[name], foreign)
					time.Sleep(*sleep)
				}
			}
			dt := "f64"
			if f32 {
				dt = "f32"
			}
			line := fmt.Sprintf("%s %s:", dt, s)
			for _, name := range impls {
				v := slices.Clone(res[name])
				slices.Sort(v)
				line += fmt.Sprintf("  %s med %.1f [%.1f..%.1f]", name, v[len(v)/2], v[0], v[len(v)-1])
			}
			line += "\n   clean:"
			for _, name := range impls {
				v := slices.Clone(clean[name])
				slices.Sort(v)
				f := slices.Clone(fore[name])
				slices.Sort(f)
				if len(v) > 0 {
					line += fmt.Sprintf("  %s n=%d med %.1f max %.1f", name, len(v), v[len(v)/2], v[len(v)-1])
				} else {
					line += fmt.Sprintf("  %s n=0", name)
				}
				line += fmt.Sprintf(" (foreign med %.2f)", f[len(f)/2])
			}
			line += "\n  "
			if res["asm"] != nil && res["openblas"] != nil {
				var ratios []float64
				for i := range res["asm"] {
					ratios = append(ratios, res["asm"][i]/res["openblas"][i])
				}
				slices.Sort(ratios)
				line += fmt.Sprintf("  | asm/openblas paired median %.2f", ratios[len(ratios)/2])
			}
			fmt.Println(line)
		}
	}
}

// busy returns the seconds all CPUs spent not idle, from /proc/stat.
func busy() float64 {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)[1:]
	var tot float64
	for i, x := range f {
		v, _ := strconv.ParseFloat(x, 64)
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest, guest_nice are included in user
			break
		}
		tot += v
	}
	return tot / 100 // USER_HZ
}

// ownCPU returns this process's user+system CPU seconds.
func ownCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func rnd(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rand.Float64()
	}
	return s
}

func to32(s []float64) []float32 {
	d := make([]float32, len(s))
	for i, v := range s {
		d[i] = float32(v)
	}
	return d
}
