package bot

import "testing"

func TestCurrencies(t *testing.T) {
	if !KnownCurrency("usd") || !KnownCurrency("hkd") || KnownCurrency("USD") || KnownCurrency("xyz") || KnownCurrency("krw") {
		t.Error("KnownCurrency")
	}
	if !ZeroDecimal("jpy") || !ZeroDecimal("JPY") || ZeroDecimal("usd") || ZeroDecimal("chf") {
		t.Error("ZeroDecimal")
	}
	for _, c := range Currencies() {
		if !KnownCurrency(c) || len(c) != 3 {
			t.Errorf("currency %q", c)
		}
	}
}
