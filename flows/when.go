package flows

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"nudges/bot"
)

// MaxSchedule is how far ahead LATER may schedule an announcement.
const MaxSchedule = 30 * 24 * time.Hour

// whenProblem is why a LATER time was refused ("" when it was read).
type whenProblem string

const (
	whenOK         whenProblem = ""
	whenUnreadable whenProblem = "LaterUnreadable"
	whenPast       whenProblem = "LaterPast"
	whenTooFar     whenProblem = "LaterTooFar"
)

// dayKind is the day part of a LATER time.
type dayKind int

const (
	dayNext     dayKind = iota // a bare time: today, or tomorrow once passed
	dayToday                   // TODAY / HOY
	dayTomorrow                // TOMORROW / MAÑANA
	dayWeekday                 // FRI / VIE: the next one (today if still ahead)
	dayDate                    // 12/24 (24/12 in Spanish)
)

// when is a LATER time as read, before it is placed on the calendar.
type when struct {
	day          dayKind
	weekday      time.Weekday
	month, date  int
	hour, minute int
}

var weekdays = map[string]time.Weekday{
	"SUN": time.Sunday, "SUNDAY": time.Sunday, "MON": time.Monday, "MONDAY": time.Monday,
	"TUE": time.Tuesday, "TUES": time.Tuesday, "TUESDAY": time.Tuesday,
	"WED": time.Wednesday, "WEDNESDAY": time.Wednesday, "THU": time.Thursday, "THUR": time.Thursday,
	"THURS": time.Thursday, "THURSDAY": time.Thursday, "FRI": time.Friday, "FRIDAY": time.Friday,
	"SAT": time.Saturday, "SATURDAY": time.Saturday,
	"DOM": time.Sunday, "DOMINGO": time.Sunday, "LUN": time.Monday, "LUNES": time.Monday,
	"MAR": time.Tuesday, "MARTES": time.Tuesday, "MIE": time.Wednesday, "MIÉ": time.Wednesday,
	"MIERCOLES": time.Wednesday, "MIÉRCOLES": time.Wednesday, "JUE": time.Thursday, "JUEVES": time.Thursday,
	"VIE": time.Friday, "VIERNES": time.Friday, "SAB": time.Saturday, "SÁB": time.Saturday,
	"SABADO": time.Saturday, "SÁBADO": time.Saturday,
}

var (
	dayWords    = map[string]dayKind{"TODAY": dayToday, "HOY": dayToday, "TOMORROW": dayTomorrow, "MAÑANA": dayTomorrow, "MANANA": dayTomorrow}
	whenFillers = map[string]bool{"AT": true, "ON": true, "A": true, "LAS": true, "LA": true, "EL": true}
	clockRE     = regexp.MustCompile(`^(\d{1,2})(?::(\d{2}))?(AM|PM)?$`)
	dateRE      = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})$`)
)

// parseWhen reads the words after LATER (normalized, upper case): a time
// (9AM, 9:30PM, 21:30), optionally with a day (TOMORROW, a weekday, or a
// date, month first unless dayFirst). A time without AM/PM needs minutes.
func parseWhen(arg string, dayFirst bool) (when, bool) {
	var w when
	var clock strings.Builder
	haveDay := false
	for _, tok := range strings.Fields(strings.ReplaceAll(arg, ".", "")) {
		d, isDay := dayWords[tok]
		wd, isWeekday := weekdays[tok]
		switch {
		case whenFillers[tok]:
		case (isDay || isWeekday || dateRE.MatchString(tok)) && haveDay:
			return w, false // two days
		case isDay:
			w.day, haveDay = d, true
		case isWeekday:
			w.day, w.weekday, haveDay = dayWeekday, wd, true
		case dateRE.MatchString(tok):
			p := dateRE.FindStringSubmatch(tok)
			a, _ := strconv.Atoi(p[1])
			b, _ := strconv.Atoi(p[2])
			if dayFirst {
				a, b = b, a
			}
			if a > 12 && b <= 12 { // 24/12 or 12/24 reads only one way
				a, b = b, a
			}
			w.day, w.month, w.date, haveDay = dayDate, a, b, true
		default:
			clock.WriteString(tok)
		}
	}
	h, m, ok := parseClock(clock.String())
	w.hour, w.minute = h, m
	return w, ok
}

// parseClock reads 9AM, 9:30PM, 12AM (midnight) or 21:30.
func parseClock(s string) (hour, minute int, ok bool) {
	p := clockRE.FindStringSubmatch(s)
	if p == nil || (p[2] == "" && p[3] == "") {
		return 0, 0, false
	}
	hour, _ = strconv.Atoi(p[1])
	if p[2] != "" {
		minute, _ = strconv.Atoi(p[2])
	}
	switch {
	case minute > 59:
		return 0, 0, false
	case p[3] == "":
		return hour, minute, hour <= 23
	case hour < 1 || hour > 12:
		return 0, 0, false
	}
	hour %= 12
	if p[3] == "PM" {
		hour += 12
	}
	return hour, minute, true
}

// place puts w on the calendar of loc as seen at now: the moment it means,
// or why it cannot be scheduled. Days are counted on the local calendar, so
// "TOMORROW 9AM" is 9 AM on the wall clock across a DST change.
func (w when) place(now time.Time, loc *time.Location) (time.Time, whenProblem) {
	local := now.In(loc)
	y, mo, d := local.Date()
	at := func(y int, mo time.Month, d int) time.Time { return wallTime(y, mo, d, w.hour, w.minute, loc) }
	t := at(y, mo, d)
	switch w.day {
	case dayNext:
		if !t.After(now) {
			t = at(y, mo, d+1)
		}
	case dayTomorrow:
		t = at(y, mo, d+1)
	case dayWeekday:
		ahead := (int(w.weekday) - int(local.Weekday()) + 7) % 7
		if ahead == 0 && !t.After(now) {
			ahead = 7
		}
		t = at(y, mo, d+ahead)
	case dayDate:
		if w.month < 1 || w.month > 12 || w.date < 1 || w.date > 31 {
			return time.Time{}, whenUnreadable
		}
		t = at(y, time.Month(w.month), w.date)
		if t.Day() != w.date { // 2/30 rolled over into March
			return time.Time{}, whenUnreadable
		}
		if t.Before(local.AddDate(0, 0, -1)) { // January's date read in December
			t = at(y+1, time.Month(w.month), w.date)
		}
	}
	if p := checkWhen(t, now); p != whenOK {
		return time.Time{}, p
	}
	return t, whenOK
}

// checkWhen is LATER's rule on a time: after now and within MaxSchedule.
func checkWhen(t, now time.Time) whenProblem {
	switch {
	case !t.After(now):
		return whenPast
	case t.Sub(now) > MaxSchedule:
		return whenTooFar
	}
	return whenOK
}

// wallTime is that wall-clock time in loc. A time the clocks skip (2:30 AM
// as they go forward) is read as the moment after the gap (3:30 AM), never
// before the time asked for.
func wallTime(y int, mo time.Month, d, hour, minute int, loc *time.Location) time.Time {
	t := time.Date(y, mo, d, hour, minute, 0, 0, loc)
	if t.Hour() == hour && t.Minute() == minute {
		return t
	}
	_, before := t.Add(-3 * time.Hour).Zone()
	return time.Date(y, mo, d, hour, minute, 0, 0, time.FixedZone("", before)).In(loc)
}

var (
	weekdaysES      = [...]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"}
	weekdaysShortES = [...]string{"dom", "lun", "mar", "mié", "jue", "vie", "sáb"}
	monthsES        = [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
)

// whenText is a scheduled time in words, in its zone: "Friday, January 9,
// 9:00 AM EST" or "viernes 9 de enero, 9:00 EST".
func whenText(lang string, t time.Time, loc *time.Location) string {
	l := t.In(loc)
	if lang == bot.Spanish {
		return fmt.Sprintf("%s %d de %s, %s %s", weekdaysES[l.Weekday()], l.Day(), monthsES[l.Month()-1], l.Format("15:04"), zoneText(l))
	}
	return l.Format("Monday, January 2, 3:04 PM ") + zoneText(l)
}

// whenShort is whenText for a list: "Fri Jan 9, 9:00 AM EST".
func whenShort(lang string, t time.Time, loc *time.Location) string {
	l := t.In(loc)
	if lang == bot.Spanish {
		return fmt.Sprintf("%s %d %s, %s %s", weekdaysShortES[l.Weekday()], l.Day(), monthsShortES[l.Month()-1], l.Format("15:04"), zoneText(l))
	}
	return l.Format("Mon Jan 2, 3:04 PM ") + zoneText(l)
}

// zoneText is the zone's abbreviation (EST, CEST), or its offset from UTC
// when the zone has no letters for it (UTC-03).
func zoneText(l time.Time) string {
	abbr := l.Format("MST")
	if abbr != "" && (abbr[0] == '+' || abbr[0] == '-') {
		return "UTC" + abbr
	}
	return abbr
}
