// Package locales holds every message the service sends, in every language,
// as go-i18n TOML files embedded in the binary (one file per area and
// language: core.en.toml, core.es.toml, …).
package locales

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"nudges/bot"
)

//go:embed *.toml
var files embed.FS

// Languages the service speaks, default first.
var Languages = []string{bot.English, bot.Spanish}

// Catalog renders messages; it implements bot.Translator.
type Catalog struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
}

var _ bot.Translator = (*Catalog)(nil)

// Load reads every embedded message file.
func Load() (*Catalog, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	names, err := fs.Glob(files, "*.toml")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, err := b.LoadMessageFileFS(files, n); err != nil {
			return nil, fmt.Errorf("load %s: %w", n, err)
		}
	}
	c := &Catalog{bundle: b, localizers: map[string]*i18n.Localizer{}}
	for _, l := range Languages {
		c.localizers[l] = i18n.NewLocalizer(b, l)
	}
	return c, nil
}

// MustLoad is Load for main and tests; the files are embedded, so an error
// is a build defect.
func MustLoad() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// T renders message id in lang (English if lang is unknown). A missing id
// is logged and rendered as the id itself, never a panic.
func (c *Catalog) T(lang, id string, data map[string]any) string {
	s, err := c.Render(lang, id, data)
	if err != nil {
		slog.Error("localize", "lang", lang, "id", id, "err", err)
	}
	return s
}

// Render is T that returns the error too (tests use it). A message with
// plural forms picks its form by data["PluralCount"].
func (c *Catalog) Render(lang, id string, data map[string]any) (string, error) {
	l, ok := c.localizers[lang]
	if !ok {
		l = c.localizers[bot.English]
	}
	// A message with plural forms (one, other…) picks one by data["PluralCount"];
	// one with a single form ignores it.
	cfg := &i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: data["PluralCount"]}
	s, err := l.Localize(cfg)
	if err != nil && cfg.PluralCount != nil {
		cfg.PluralCount = nil
		s, err = l.Localize(cfg)
	}
	var nf *i18n.MessageNotFoundErr
	if errors.As(err, &nf) && s != "" {
		return s, err
	}
	if err != nil {
		return id, err
	}
	return s, nil
}

// IDs lists every message id defined in lang's files, sorted.
func IDs(lang string) ([]string, error) {
	names, err := fs.Glob(files, "*."+lang+".toml")
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, n := range names {
		data, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := toml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		for id := range m {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// LangOf maps a language name or tag to a supported language, "" if none.
func LangOf(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, l := range Languages {
		if s == l || strings.HasPrefix(s, l+"-") {
			return l
		}
	}
	return ""
}
