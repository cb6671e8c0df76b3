package admin

import (
	"embed"

	"nudges/bot"
	"nudges/webhooks/webkit"
)

// templateFS holds the console's layout and pages; webkit renders them.
//
//go:embed templates/*.html
var templateFS embed.FS

// view is what every console page template gets.
type view = webkit.View

// funcs are the console's own template functions, beside webkit.Funcs.
func funcs(tr bot.Translator) map[string]any {
	return map[string]any{"n": pluralFunc(tr), "phonePath": phonePath, "clientPath": clientPath}
}

// pluralFunc is the templates' {{n "ConsoleRecipients" 3}}: the message's
// plural form for that count, in English (the console's language); more
// template values may follow as name, value pairs.
func pluralFunc(tr bot.Translator) func(id string, count int, kv ...any) string {
	return func(id string, count int, kv ...any) string {
		data := map[string]any{"PluralCount": count}
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				data[k] = kv[i+1]
			}
		}
		return tr.T(bot.English, id, data)
	}
}
