package rbac

// BenchSnapshot is the benchmark snapshot's generator, for the benchmarks of package
// rbac_test (which need the built-in resource table of package resources).
var BenchSnapshot = benchSnapshot
