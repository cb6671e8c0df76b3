package bot

import (
	"slices"
	"strings"
)

// currencies are the ISO 4217 codes a plan may be priced in: ones Stripe
// charges in, lower case as Stripe writes them.
var currencies = []string{"usd", "eur", "gbp", "cad", "aud", "jpy", "mxn", "brl", "inr", "chf", "sek", "nok", "dkk", "nzd", "sgd", "hkd"}

// zeroDecimal are the currencies Stripe counts in whole units (its list;
// of the ones plans may use, only jpy).
var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true, "mga": true,
	"pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true,
}

// Currencies returns the ISO 4217 codes a plan may be priced in, lower case.
func Currencies() []string { return slices.Clone(currencies) }

// KnownCurrency reports whether a plan may be priced in currency (lower case).
func KnownCurrency(currency string) bool { return slices.Contains(currencies, currency) }

// ZeroDecimal reports whether currency's minor unit is its whole unit (no
// cents), as Stripe counts amounts.
func ZeroDecimal(currency string) bool { return zeroDecimal[strings.ToLower(currency)] }
