package flows

import (
	"math/rand/v2"
	"testing"

	"nudges/bot"
)

func TestOneTypo(t *testing.T) {
	yes := [][2]string{
		{"STPO", "STOP"}, {"STOPP", "STOP"}, {"STO", "STOP"}, {"SOTP", "STOP"}, {"STEP", "STOP"},
		{"UNSUSCRIBE", "UNSUBSCRIBE"}, {"UNSUBSCRIBEE", "UNSUBSCRIBE"}, {"YOGAA", "YOGA"}, {"YGOA", "YOGA"},
		{"JION", "JOIN"}, {"JOIM", "JOIN"}, {"XSTOP", "STOP"}, {"ÑOGA", "YOGA"},
	}
	no := [][2]string{
		{"STOP", "STOP"}, {"SPOT", "STOP"}, {"TOPS", "STOP"}, {"ST", "STOP"}, {"STOPPP", "STOP"},
		{"SEND", "STOP"}, {"YOGA", "YOGI2"}, {"AB", "BA2"},
	}
	for _, c := range yes {
		if !oneTypo(c[0], c[1]) || !oneTypo(c[1], c[0]) {
			t.Errorf("%s and %s are one typo apart", c[0], c[1])
		}
	}
	for _, c := range no {
		if oneTypo(c[0], c[1]) || oneTypo(c[1], c[0]) {
			t.Errorf("%s and %s are not one typo apart", c[0], c[1])
		}
	}
}

func TestNearOptOut(t *testing.T) {
	cases := map[string]string{
		"STPO": "STOP", "STOPP": "STOP", "UNSUSCRIBE": "UNSUBSCRIBE", "CANCLE": "CANCEL",
		"CANCELA": "CANCELAR", "OPT-OU": "OPTOUT", "REVOKEE": "REVOKE", "OPTOU": "OPTOUT", "PARRA": "PARAR", "PARA": "PARAR",
		// commands and short words are never near misses
		"SEND": "", "STOP": "", "END": "", "ENDS": "", "QUIT": "", "QUITE": "", "STATS": "", "INFO": "",
		"STOP NOW": "", "UNSTOP": "", "STOPALL": "", "YES": "", "NO": "", "LIST": "", "ALL": "",
	}
	for in, want := range cases {
		got, _, ok := nearOptOut(in)
		if got != want || ok != (want != "") {
			t.Errorf("nearOptOut(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

// TestNoCommandIsANearMiss: every command word stays a command, and none of
// the near-miss targets is one typo from a command word (so no command's
// typo could be mistaken for an opt-out either way round).
func TestNoCommandIsANearMiss(t *testing.T) {
	for w := range words {
		if _, _, ok := nearOptOut(w); ok {
			t.Errorf("command %s is read as a near miss", w)
		}
		if m := Parse(w); m.Cmd == CmdNone {
			t.Errorf("command %s does not parse", w)
		}
	}
}

func TestOptOutPhrases(t *testing.T) {
	yes := map[string]string{
		"please opt me out": bot.English, "Opt me out of this list": bot.English, "remove me": bot.English,
		"Remove me please.": bot.English, "I want to unsubscribe": bot.English, "I don't want these messages": bot.English,
		"cancel my subscription": bot.English, "leave me alone": bot.English, "ＳＴＯＰ ｐｌｅａｓｅ": bot.English,
		"please st\u200bop texting me": bot.English, "No más": bot.Spanish, "no mas mensajes por favor": bot.Spanish,
		"Ya no quiero mensajes": bot.Spanish, "ya no me manden mensajes": bot.Spanish,
		"Quiero cancelar mi suscripción": bot.Spanish, "eliminarme de la lista": bot.Spanish,
		"Basta de mensajes": bot.Spanish, "¡No más!": bot.Spanish,
	}
	for in, lang := range yes {
		if ok, got := OptOutPhrase(in); !ok || got != lang {
			t.Errorf("OptOutPhrase(%q) = %v %s, want an opt-out in %s", in, ok, got, lang)
		}
	}
	for _, in := range []string{
		"Stop by our shop today!", "stop the car", "no more tickets left", "remove the stain", "cancel my 5pm class",
		"No más de 10 personas por clase", "I want to join", "no", "more", "please", "opt in", "leave me a message",
		"no mas tacos", "Stop in for 20% off",
	} {
		if ok, _ := OptOutPhrase(in); ok {
			t.Errorf("OptOutPhrase(%q) is an opt-out, want not", in)
		}
	}
}

// TestOneTypoMatchesEditDistance compares oneTypo with the textbook
// optimal-string-alignment distance on random short words.
func TestOneTypoMatchesEditDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	word := func() string {
		b := make([]rune, rng.IntN(6))
		for i := range b {
			b[i] = rune('A' + rng.IntN(3))
		}
		return string(b)
	}
	for i := 0; i < 20000; i++ {
		a, b := word(), word()
		if got, want := oneTypo(a, b), osaDistance(a, b) == 1; got != want {
			t.Fatalf("oneTypo(%q, %q) = %v, distance %d", a, b, got, osaDistance(a, b))
		}
	}
}

func osaDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
