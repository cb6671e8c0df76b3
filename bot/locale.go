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
