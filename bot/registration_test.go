package bot_test

import (
	"strings"
	"testing"

	"nudges/bot"
)

func TestRegistrationValidate(t *testing.T) {
	good := bot.Registration{BusinessName: "Sunrise Yoga LLC", Website: "https://sunrise.example.com", Street: "1 Main St",
		City: "Springfield", Region: "IL", PostalCode: "62701-1234", ContactFirst: "Ana", ContactLast: "Diaz",
		Email: "ana@sunrise.example.com", ContactPhone: "+15550009999", UseCase: "MARKETING", Volume: "1,000",
		Sample: "Class at 6pm", OptIn: "Text YOGA to +18335550100", OptInImage: "https://nudges.example.com/j/YOGA"}
	if bad := good.Validate(); len(bad) != 0 {
		t.Fatalf("good registration refused: %v", bad)
	}
	for _, tc := range []struct {
		field, want string
		set         func(r *bot.Registration)
	}{
		{"Region", "Two letters", func(r *bot.Registration) { r.Region = "New York" }},
		{"PostalCode", "Five digits", func(r *bot.Registration) { r.PostalCode = "627O1" }},
		{"Website", "full address", func(r *bot.Registration) { r.Website = "javascript:alert(1)" }},
		{"Website", "full address", func(r *bot.Registration) { r.Website = "https://user:pw@example.com" }},
		{"Email", "e-mail address", func(r *bot.Registration) { r.Email = "Ana <ana@example.com>" }},
		{"Email", "e-mail address", func(r *bot.Registration) { r.Email = "ana@localhost" }},
		{"UseCase", "Pick one", func(r *bot.Registration) { r.UseCase = "SPAM" }},
		{"Volume", "Pick one", func(r *bot.Registration) { r.Volume = "1000" }},
		{"BusinessName", "Too long", func(r *bot.Registration) { r.BusinessName = strings.Repeat("x", 121) }},
		{"Sample", "Required", func(r *bot.Registration) { r.Sample = "  " }},
		{"ContactPhone", "phone number", func(r *bot.Registration) { r.ContactPhone = "" }},
	} {
		r := good
		tc.set(&r)
		bad := r.Validate()
		if len(bad) != 1 || !strings.Contains(bad[tc.field], tc.want) {
			t.Errorf("%s: %v, want only %s: …%s…", tc.field, bad, tc.field, tc.want)
		}
	}
}
