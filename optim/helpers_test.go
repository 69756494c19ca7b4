package optim_test

import (
	"encoding/json"
	"os"
	"testing"
)

func loadJSON(t testing.TB, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/torch_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
