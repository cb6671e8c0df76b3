package bot

// Locales supported at launch.
const (
	English = "en"
	Spanish = "es"
)

// Translator renders a localized message by id, with named values. Every id
// exists in every language (locales tests enforce it).
type Translator interface {
	T(lang, id string, data map[string]any) string
}

// LangOf is the one rule for the language of a text a phone did not just
// ask for (a report, a notice, a code, an announcement): the language the
// phone chose, else its client's (client, when the phone is one), else the
// one it was last seen in, else def, else English.
func LangOf(conv *Conversation, client, def string) string {
	for _, l := range []string{chosen(conv), client, conv.Locale, def} {
		if l != "" {
			return l
		}
	}
	return English
}

func chosen(conv *Conversation) string {
	if conv.LocaleChosen {
		return conv.Locale
	}
	return ""
}
