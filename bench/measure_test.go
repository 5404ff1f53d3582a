package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 2*time.Millisecond, median([]time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond}))
	assert.Equal(t, int64(2), median([]int64{4, 1, 3, 2}), "the lower of the two middle values")
	assert.Equal(t, 2.0, median([]float64{4, 1, 3, 2}), "the lower of the two middle values")
	assert.Zero(t, median([]float64(nil)))
	for _, n := range []int{1, 2, 3, 4, 7, 10, 1001} {
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = time.Duration(n - i)
		}
		assert.Equal(t, quantile(d, 0.5), median(d), "median is quantile's nearest rank at 0.5, n=%d", n)
	}
}

// TestCPURatioMedian: with an even number of rounds, the ratio column's
// median is taken like the µs columns', so with the reference steady it is
// ours over the reference.
func TestCPURatioMedian(t *testing.T) {
	t.Parallel()
	f := &cpuFigures{rounds: []cpuRound{
		{oursCall: 100 * time.Microsecond, refCall: 100 * time.Microsecond, structCall: 50 * time.Microsecond, oursPing: 10 * time.Microsecond, refPing: 20 * time.Microsecond},
		{oursCall: 300 * time.Microsecond, refCall: 100 * time.Microsecond, structCall: 50 * time.Microsecond, oursPing: 30 * time.Microsecond, refPing: 20 * time.Microsecond},
	}}
	calls, structCalls, pings := f.ratios()
	assert.Equal(t, []float64{1, 3}, calls)
	assert.Equal(t, 1.0, median(calls), "median ours 100 µs / median reference 100 µs")
	assert.Equal(t, 2.0, median(structCalls), "100 µs / 50 µs")
	assert.Equal(t, 0.5, median(pings), "10 µs / 20 µs")
}
