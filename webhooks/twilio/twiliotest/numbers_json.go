package twiliotest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// available lists the numbers for sale of kind (Local or TollFree) that
// match the AreaCode or NearNumber filter.
func available(n *numbers, kind string, q url.Values) []map[string]any {
	pool := n.local
	if kind == "TollFree" {
		pool = n.tollFree
	}
	area, near := q.Get("AreaCode"), q.Get("NearNumber")
	var out []map[string]any
	for _, p := range pool {
		code := areaCode(p)
		switch {
		case area != "" && code != area:
			continue
		case near != "" && (code == "" || !strings.HasPrefix(code, areaCode(near)[:1])):
			continue
		}
		out = append(out, map[string]any{"phone_number": p, "friendly_name": p, "iso_country": "US",
			"capabilities": map[string]bool{"sms": true, "mms": true, "voice": true}})
	}
	return out
}

// areaCode is the three digits after +1, "" for anything else.
func areaCode(p string) string {
	if len(p) != 12 || !strings.HasPrefix(p, "+1") {
		return ""
	}
	return p[2:5]
}

// buyNumber buys form's PhoneNumber when it is for sale.
func (s *Server) buyNumber(w http.ResponseWriter, form url.Values) int {
	n := &s.nums
	p := form.Get("PhoneNumber")
	if !slices.Contains(n.local, p) && !slices.Contains(n.tollFree, p) {
		return writeError(w, http.StatusBadRequest, 21422, "PhoneNumber "+p+" is not available")
	}
	in := n.buy(p, form.Get("FriendlyName"))
	n.bought++
	return writeRecord(w, http.StatusCreated, incomingJSON(in))
}

// incoming lists the account's numbers, filtered by FriendlyName and
// PhoneNumber as Twilio does.
func incoming(n *numbers, q url.Values) []map[string]any {
	var out []map[string]any
	for _, in := range n.incoming {
		if f := q.Get("FriendlyName"); f != "" && in.FriendlyName != f {
			continue
		}
		if p := q.Get("PhoneNumber"); p != "" && in.Phone != p {
			continue
		}
		out = append(out, incomingJSON(in))
	}
	return out
}

func releaseNumber(w http.ResponseWriter, n *numbers, sid string) int {
	i := slices.IndexFunc(n.incoming, func(in Incoming) bool { return in.SID == sid })
	if i < 0 {
		return writeError(w, http.StatusNotFound, 20404, "The requested resource was not found")
	}
	n.incoming = slices.Delete(n.incoming, i, i+1)
	for j := range n.services {
		n.services[j].Numbers = slices.DeleteFunc(n.services[j].Numbers, func(s string) bool { return s == sid })
	}
	w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

func services(n *numbers) []map[string]any {
	var out []map[string]any
	for _, sv := range n.services {
		out = append(out, serviceJSON(sv))
	}
	return out
}

// addToService adds a number to a service: 21710 when it is already there,
// 21712 when it is in another service.
func addToService(w http.ResponseWriter, n *numbers, service, sid string) int {
	i := slices.IndexFunc(n.services, func(s Service) bool { return s.SID == service })
	if i < 0 || !slices.ContainsFunc(n.incoming, func(in Incoming) bool { return in.SID == sid }) {
		return writeError(w, http.StatusNotFound, 20404, "The requested resource was not found")
	}
	for j, sv := range n.services {
		if slices.Contains(sv.Numbers, sid) {
			if j == i {
				return writeError(w, http.StatusConflict, 21710, "Phone Number is already in the Messaging Service")
			}
			return writeError(w, http.StatusBadRequest, 21712, "Phone Number is associated with another Messaging Service")
		}
	}
	n.services[i].Numbers = append(n.services[i].Numbers, sid)
	return writeRecord(w, http.StatusCreated, map[string]any{"sid": sid, "service_sid": service, "account_sid": AccountSID})
}

func incomingJSON(in Incoming) map[string]any {
	return map[string]any{"sid": in.SID, "account_sid": AccountSID, "phone_number": in.Phone,
		"friendly_name": in.FriendlyName, "capabilities": map[string]bool{"sms": true, "mms": true, "voice": true}}
}

func serviceJSON(sv Service) map[string]any {
	return map[string]any{"sid": sv.SID, "account_sid": AccountSID, "friendly_name": sv.FriendlyName,
		"inbound_request_url": sv.InboundRequestURL, "status_callback": sv.StatusCallback}
}

func verificationJSON(v Verification) map[string]any {
	m := map[string]any{"sid": v.SID, "account_sid": AccountSID, "status": v.Status,
		"tollfree_phone_number_sid": v.Form.Get("TollfreePhoneNumberSid"), "business_name": v.Form.Get("BusinessName")}
	if v.Reason != "" {
		m["rejection_reason"] = v.Reason
	}
	return m
}

// writeList answers one page holding every item (no next page).
func writeList(w http.ResponseWriter, key string, items []map[string]any) int {
	if items == nil {
		items = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{key: items, "page": 0, "page_size": 50,
		"meta": map[string]any{"key": key, "page": 0, "page_size": 50}})
	return http.StatusOK
}

func writeRecord(w http.ResponseWriter, status int, v map[string]any) int {
	writeJSON(w, status, v)
	return status
}
