package app

import (
	"net/http"
	"strings"
)

// navItem is one entry of the dashboard's menu.
type navItem struct {
	Name  string // the page template's name, highlighted when shown
	Label string
	Path  string // under /app
}

// allPages is the menu in its order, every page the dashboard is to have.
var allPages = []navItem{
	{"overview", "Overview", "/"},
	{"announcements", "Announcements", "/announcements"},
	{"subscribers", "Subscribers", "/subscribers"},
	{"replies", "Replies", "/replies"},
	{"number", "Number", "/number"},
	{"billing", "Billing", "/billing"},
	{"settings", "Settings", "/settings"},
}

// menu is allPages less those with no GET route yet.
func menu(routes []route) []navItem {
	have := map[string]bool{}
	for _, r := range routes {
		if r.Method == http.MethodGet {
			have[r.Path] = true
		}
	}
	var out []navItem
	for _, p := range allPages {
		if have[p.Path] {
			out = append(out, p)
		} else if sub := firstUnder(routes, p.Path); sub != "" {
			p.Path = sub // a page of sub-pages only: its first sub-page
			out = append(out, p)
		}
	}
	return out
}

// firstUnder is the first GET route below path with no :param, or "".
func firstUnder(routes []route, path string) string {
	for _, r := range routes {
		if r.Method == http.MethodGet && path != "/" && strings.HasPrefix(r.Path, path+"/") && !strings.Contains(r.Path, ":") {
			return r.Path
		}
	}
	return ""
}
