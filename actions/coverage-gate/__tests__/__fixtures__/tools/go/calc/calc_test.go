package calc

import "testing"

func TestSplit(t *testing.T) {
	got := Split(10, 3)
	if got[0] != 4 || got[1] != 3 || got[2] != 3 {
		t.Fatalf("Split(10, 3) = %v", got)
	}
}
