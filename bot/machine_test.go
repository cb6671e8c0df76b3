package bot

import "testing"

type (
	lampState string
	lampEvent string
)

var lamp = NewMachine("lamp",
	Transition[lampState, lampEvent]{Event: "on", Src: []lampState{"off"}, Dst: "lit"},
	Transition[lampState, lampEvent]{Event: "off", Src: []lampState{"lit"}, Dst: "off"},
	Transition[lampState, lampEvent]{Event: "tap", Src: []lampState{"lit"}, Dst: "lit"},
)

func TestMachineFire(t *testing.T) {
	cases := []struct {
		from lampState
		ev   lampEvent
		want lampState
		ok   bool
	}{
		{"off", "on", "lit", true},
		{"lit", "off", "off", true},
		{"lit", "tap", "lit", true}, // a self-loop is success
		{"off", "off", "off", false},
		{"off", "nope", "off", false},
		{"broken", "on", "broken", false}, // a stored state it does not know
	}
	for _, c := range cases {
		got, err := lamp.Fire(c.from, c.ev)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("%s --%s--> %q, %v; want %q ok=%v", c.from, c.ev, got, err, c.want, c.ok)
		}
	}
	if !lamp.Has("lit") || lamp.Has("dim") || lamp.Name() != "lamp" {
		t.Error("Has/Name")
	}
}
