package controllers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	lua "github.com/yuin/gopher-lua"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	audiov1 "github.com/audionode/audionode/api/v1alpha1"
)

// argoHealth runs docs/argocd-health.lua on an AudioNode the way Argo CD does
// (the object as a Lua table in the global obj) and returns status and message.
func argoHealth(t testing.TB, an *audiov1.AudioNode) (string, string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "docs", "argocd-health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(an)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	L := lua.NewState()
	defer L.Close()
	L.SetGlobal("obj", toLua(L, v))
	fn, err := L.LoadString(string(src))
	if err != nil {
		t.Fatal(err)
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		t.Fatal(err)
	}
	hs, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("health check returned %s", L.Get(-1).Type())
	}
	return lua.LVAsString(hs.RawGetString("status")), lua.LVAsString(hs.RawGetString("message"))
}

func toLua(L *lua.LState, v any) lua.LValue {
	switch t := v.(type) {
	case map[string]any:
		tb := L.NewTable()
		for k, e := range t {
			tb.RawSetString(k, toLua(L, e))
		}
		return tb
	case []any:
		tb := L.NewTable()
		for _, e := range t {
			tb.Append(toLua(L, e))
		}
		return tb
	case string:
		return lua.LString(t)
	case float64:
		return lua.LNumber(t)
	case bool:
		return lua.LBool(t)
	}
	return lua.LNil
}

func TestArgoCDHealth(t *testing.T) {
	cond := func(typ string, st metav1.ConditionStatus, gen int64, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: st, ObservedGeneration: gen, Reason: "R", Message: msg}
	}
	an := func(gen, observed int64, conds ...metav1.Condition) *audiov1.AudioNode {
		return &audiov1.AudioNode{
			ObjectMeta: metav1.ObjectMeta{Name: "x", Generation: gen},
			Status:     audiov1.AudioNodeStatus{ObservedGeneration: observed, Conditions: conds},
		}
	}
	for _, tc := range []struct {
		name string
		an   *audiov1.AudioNode
		want string
	}{
		{"no status", an(1, 0), "Progressing"},
		{"ready", an(2, 2, cond("Ready", "True", 2, "2 of 2 pods ready"), cond("Degraded", "False", 2, "")), "Healthy"},
		{"new generation not seen", an(3, 2, cond("Ready", "True", 2, "")), "Progressing"},
		{"rolling", an(2, 2, cond("Ready", "False", 2, ""), cond("Progressing", "True", 2, "1 of 2 pods on revision x")), "Progressing"},
		{"degraded", an(2, 2, cond("Ready", "False", 2, ""), cond("Degraded", "True", 2, "Failing pods: x-1 (CrashLoopBackOff)")), "Degraded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := argoHealth(t, tc.an)
			if got != tc.want {
				t.Errorf("health %s (%s), want %s", got, msg, tc.want)
			}
		})
	}
}
