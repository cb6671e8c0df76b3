package flows

import (
	"regexp"
	"strings"

	"nudges/bot"
)

// Cmd is a command word's meaning, whatever language it was said in.
type Cmd string

// Commands of SPEC §4.
const (
	CmdNone    Cmd = ""
	CmdStop    Cmd = "stop"
	CmdStart   Cmd = "start"
	CmdYes     Cmd = "yes"
	CmdHelp    Cmd = "help"
	CmdJoin    Cmd = "join"
	CmdList    Cmd = "list"
	CmdLeave   Cmd = "leave"
	CmdEnglish Cmd = "english"
	CmdSpanish Cmd = "spanish"
	CmdSignup  Cmd = "signup"
	CmdExit    Cmd = "exit"
	CmdPlan    Cmd = "plan"
	CmdStats   Cmd = "stats"
	CmdConfirm Cmd = "confirm"
	CmdDiscard Cmd = "discard"
	CmdExport  Cmd = "export"
	CmdLink    Cmd = "link"
	// Scheduling (flows/schedule.go).
	CmdLater      Cmd = "later"
	CmdScheduled  Cmd = "scheduled"
	CmdUnschedule Cmd = "unschedule"
	CmdWelcome    Cmd = "welcome"  // flows/welcome.go
	CmdReplies    Cmd = "replies"  // flows/replies.go
	CmdHalt       Cmd = "halt"     // flows/halt.go
	CmdNumber     Cmd = "number"   // flows/numberstatus.go
	CmdRegister   Cmd = "register" // flows/register.go
	CmdWeb        Cmd = "web"      // flows/web.go
)

type word struct {
	cmd  Cmd
	lang string  // "" when the word is the same in both languages
	args argKind // what may follow the word
}

// argKind is what a command word takes after it.
type argKind int

const (
	noArg     argKind = iota // the word alone
	anyArg                   // JOIN YOGA, LEAVE 2
	numberArg                // LIST 2 (the second page); "List of specials" is no command
	timeArg                  // LATER 9AM: a few words with a digit; "Later today we open" is no command
	onOffArg                 // REPLIES OFF: ON/OFF, SI/NO; "Replies to last week's survey" is no command
	codeArg                  // CODE SPRING20: one code-shaped word; "Code red today" is no command
	priceArg                 // PRICE 5, PRICE 4.99, PRICE OFF: one amount or OFF; "Price drop today" is no command
)

// takes reports whether rest, the text after the word, fits w.
func (w word) takes(rest string) bool {
	switch {
	case rest == "":
		return true
	case w.args == numberArg:
		return isNumber(rest)
	case w.args == codeArg:
		return codeShape(rest)
	case w.args == priceArg:
		return priceShape(rest)
	case w.args == onOffArg:
		_, ok := onOff[rest]
		return ok
	case w.args == timeArg:
		return len(strings.Fields(rest)) <= 5 && strings.ContainsAny(rest, "0123456789") || isDayOnly(rest)
	}
	return w.args == anyArg
}

// isDayOnly reports whether rest is a day without its time (LATER
// TOMORROW, LATER FRI): the command missing its time, to be asked for,
// rather than a new draft replacing the one to schedule.
func isDayOnly(rest string) bool {
	f := strings.Fields(rest)
	if len(f) != 1 {
		return false
	}
	_, day := dayWords[f[0]]
	_, weekday := weekdays[f[0]]
	return day || weekday
}

// onOff reads the argument of REPLIES: true for on.
var onOff = map[string]bool{"ON": true, "SI": true, "SÍ": true, "OFF": false, "NO": false}

// words maps each command word (upper case, as Normalize leaves it) to its
// meaning. Spanish words switch the phone to Spanish.
var words = map[string]word{
	"STOP": {CmdStop, bot.English, noArg}, "STOPALL": {CmdStop, bot.English, noArg},
	"UNSUBSCRIBE": {CmdStop, bot.English, noArg}, "CANCEL": {CmdStop, bot.English, noArg},
	"END": {CmdStop, bot.English, noArg}, "QUIT": {CmdStop, bot.English, noArg},
	"REVOKE": {CmdStop, bot.English, noArg}, "OPTOUT": {CmdStop, bot.English, noArg},
	"PARAR": {CmdStop, bot.Spanish, noArg}, "BAJA": {CmdStop, bot.Spanish, noArg},
	"CANCELAR": {CmdStop, bot.Spanish, noArg},
	"START":    {CmdStart, bot.English, noArg}, "UNSTOP": {CmdStart, bot.English, noArg},
	"ALTA": {CmdStart, bot.Spanish, noArg}, "YES": {CmdYes, bot.English, noArg},
	"HELP": {CmdHelp, bot.English, noArg}, "INFO": {CmdHelp, "", noArg},
	"AYUDA": {CmdHelp, bot.Spanish, noArg},
	"JOIN":  {CmdJoin, bot.English, anyArg}, "UNIRME": {CmdJoin, bot.Spanish, anyArg},
	"LIST": {CmdList, bot.English, numberArg}, "LISTA": {CmdList, bot.Spanish, numberArg},
	"LEAVE": {CmdLeave, bot.English, anyArg}, "SALIR": {CmdLeave, bot.Spanish, anyArg},
	"ENGLISH": {CmdEnglish, bot.English, noArg}, "INGLES": {CmdEnglish, bot.English, noArg},
	"INGLÉS":  {CmdEnglish, bot.English, noArg},
	"ESPAÑOL": {CmdSpanish, bot.Spanish, noArg}, "ESPANOL": {CmdSpanish, bot.Spanish, noArg},
	"SPANISH": {CmdSpanish, bot.Spanish, noArg},
	"SIGNUP":  {CmdSignup, bot.English, noArg}, "REGISTRO": {CmdSignup, bot.Spanish, noArg},
	"EXIT": {CmdExit, bot.English, noArg},
	"PLAN": {CmdPlan, "", noArg}, "BILLING": {CmdPlan, bot.English, noArg},
	"STATS": {CmdStats, bot.English, noArg}, "ESTADO": {CmdStats, bot.Spanish, noArg},
	"CONFIRM": {CmdConfirm, bot.English, noArg}, "SEND": {CmdConfirm, bot.English, noArg},
	"CONFIRMAR": {CmdConfirm, bot.Spanish, noArg}, "ENVIAR": {CmdConfirm, bot.Spanish, noArg},
	"NO": {CmdDiscard, "", noArg}, "DISCARD": {CmdDiscard, bot.English, noArg},
	"DESCARTAR": {CmdDiscard, bot.Spanish, noArg},
	"EXPORT":    {CmdExport, bot.English, noArg}, "EXPORTAR": {CmdExport, bot.Spanish, noArg},
	"LINK": {CmdLink, bot.English, noArg}, "ENLACE": {CmdLink, bot.Spanish, noArg},
	"NUMBER": {CmdNumber, bot.English, noArg}, "NUMERO": {CmdNumber, bot.Spanish, noArg},
	"NÚMERO": {CmdNumber, bot.Spanish, noArg},
	"QR":     {CmdLink, "", noArg},
	"LATER":  {CmdLater, bot.English, timeArg}, "LUEGO": {CmdLater, bot.Spanish, timeArg},
	"SCHEDULED": {CmdScheduled, bot.English, noArg}, "PROGRAMADOS": {CmdScheduled, bot.Spanish, noArg},
	"UNSCHEDULE": {CmdUnschedule, bot.English, anyArg}, "DESPROGRAMAR": {CmdUnschedule, bot.Spanish, anyArg},
	"WELCOME": {CmdWelcome, bot.English, anyArg}, "BIENVENIDA": {CmdWelcome, bot.Spanish, anyArg},
	"REPLIES": {CmdReplies, bot.English, onOffArg}, "RESPUESTAS": {CmdReplies, bot.Spanish, onOffArg},
	"HALT": {CmdHalt, bot.English, noArg}, "DETENER": {CmdHalt, bot.Spanish, noArg},
	"CODE": {CmdCode, bot.English, codeArg}, "CODIGO": {CmdCode, bot.Spanish, codeArg},
	"CÓDIGO":  {CmdCode, bot.Spanish, codeArg},
	"PAYOUTS": {CmdPayouts, bot.English, noArg}, "PAGOS": {CmdPayouts, bot.Spanish, noArg},
	"REGISTER": {CmdRegister, bot.English, noArg}, "REGISTRAR": {CmdRegister, bot.Spanish, noArg},
	"WEB": {CmdWeb, bot.English, noArg}, "PANEL": {CmdWeb, bot.Spanish, noArg},
	"PRICE": {CmdPrice, bot.English, priceArg}, "PRECIO": {CmdPrice, bot.Spanish, priceArg},
}

// Reserved reports whether w (upper case) is a command word or otherwise
// unfit as a client keyword.
func Reserved(w string) bool {
	if _, ok := words[w]; ok {
		return true
	}
	switch w {
	case "ALL", "TODO", "TODAS", "TODOS", "SIGN", "UP", "ME", "SI", "SÍ":
		return true
	}
	return false
}

// Msg is an inbound text as the flows read it.
type Msg struct {
	Raw  string // as sent, trimmed
	Norm string // bot.Normalize(Raw)
	Cmd  Cmd    // CmdNone when the text is not a command
	Arg  string // for JOIN and LEAVE: the rest, normalized
	Lang string // language of the command word, "" if neutral or none
	Word string // the command word as written (normalized)
}

// Parse reads a message: the whole text must be a command (a few take one
// argument), else Cmd is CmdNone.
func Parse(body string) Msg {
	m := Msg{Raw: strings.TrimSpace(body), Norm: bot.Normalize(body)}
	first, rest, _ := strings.Cut(m.Norm, " ")
	if first == "SIGN" && rest == "UP" {
		first, rest = "SIGNUP", ""
	}
	w, ok := words[first]
	if !ok || !w.takes(rest) {
		return m
	}
	m.Cmd, m.Arg, m.Lang, m.Word = w.cmd, rest, w.lang, first
	return m
}

// prose reports whether m, from a client, reads as an announcement rather
// than the command its first word names: JOIN, LEAVE or UNSCHEDULE with
// more than one word after it ("Leave your mats at home"). Such a text
// becomes a draft, whose reply shows it, instead of a command's answer
// that drops it. (LATER keeps its typos, "LUEGO 9 DE LA NOCHE", as LATER:
// its reply quotes the time it could not read and keeps the draft.)
func prose(m Msg) bool {
	switch m.Cmd {
	case CmdJoin, CmdLeave, CmdUnschedule:
		return len(strings.Fields(m.Arg)) > 1
	}
	return false
}

// optOutPhrases are natural-language opt-outs, matched against the whole
// message lower-cased with accents and punctuation removed. They are
// deliberately specific: "stop by our shop today" is not one.
var optOutPhrases = map[string][]*regexp.Regexp{bot.English: {
	regexp.MustCompile(`^(please )?(stop|quit) (texting|messaging|txting|sending|contacting|spamming)( me)?( (messages|texts|sms))?( (now|please|thanks|thank you))*$`),
	regexp.MustCompile(`^(please )?unsubscribe me( (from (this|the|your|all) (list|lists|messages|texts)))?( (now|please))*$`),
	regexp.MustCompile(`^(please )?no more (messages|texts|texting|sms)( please)?$`),
	regexp.MustCompile(`^(please )?(remove|delete|take) me (off|from) (this|the|your|all|these) (list|lists|messages|texts)( please)?$`),
	regexp.MustCompile(`^(please )?(remove|delete) me( please)?$`),
	regexp.MustCompile(`^(please )?(dont|do not) (text|message|contact) me( (again|anymore|any more|ever again))?( please)?$`),
	regexp.MustCompile(`^(please )?stop( all)? (the )?(messages|texts)( please)?$`),
	regexp.MustCompile(`^(please )?(opt|take) me out( of (this|the|your|all) (list|lists|messages|texts))?( (now|please))*$`),
	regexp.MustCompile(`^(please )?(i )?(want|wish|would like|need) to (unsubscribe|opt ?out|stop (getting|receiving) (these |your |the )?(messages|texts))( please)?$`),
	regexp.MustCompile(`^(i )?(dont|do not) want (these|your|any|the|any more|anymore|more) (messages|texts)( (anymore|any more))?( please)?$`),
	regexp.MustCompile(`^(please )?(cancel|end) (my|this) (subscription|sms|texts|messages)( please)?$`),
	regexp.MustCompile(`^(please )?leave me alone( please)?$`),
}, bot.Spanish: {
	regexp.MustCompile(`^(por favor )?(deja|dejen|dejar) de (enviarme|mandarme|escribirme|enviar|mandar)( mensajes)?( por favor)?$`),
	regexp.MustCompile(`^(por favor )?no (me )?(envien|manden|mandes|envies|escriban|escribas) mas( mensajes)?( por favor)?$`),
	regexp.MustCompile(`^(por favor )?(ya )?no (quiero )?(recibir )?mas mensajes( por favor)?$`),
	regexp.MustCompile(`^(por favor )?ya no quiero (recibir )?(mensajes|textos)( por favor)?$`),
	regexp.MustCompile(`^(por favor )?(sacame|sacarme|saquenme|quitame|quitenme|eliminame|borrame|borrenme) de (la|esta|esa|su|tu|las|todas las) (lista|listas)( por favor)?$`),
	regexp.MustCompile(`^(quiero )?darme de baja( por favor)?$`),
	regexp.MustCompile(`^(por favor )?(ya )?no mas( (mensajes|textos|sms))?( por favor)?( gracias)?$`),
	regexp.MustCompile(`^(por favor )?(ya )?no (me )?(envien|manden|mandes|envies|escriban|escribas)( mas)?( (mensajes|textos))?( por favor)?$`),
	regexp.MustCompile(`^(por favor )?(sacarme|quitarme|eliminarme|borrarme) de (la|esta|esa|su|tu|las|todas las) (lista|listas)( por favor)?$`),
	regexp.MustCompile(`^(por favor )?(quiero )?cancelar (mi )?(suscripcion|subscripcion)( por favor)?$`),
	regexp.MustCompile(`^(ya )?basta de (mensajes|textos)( por favor)?$`),
}}

// optOutWords and optOutFillers: a message made only of these, with at least
// one opt-out word ("STOP please", "opt out", "cancel it now", "baja por
// favor"), is an opt-out.
var (
	optOutWords = map[string]bool{
		"stop": true, "stopall": true, "unsubscribe": true, "cancel": true, "end": true, "quit": true,
		"revoke": true, "optout": true, "parar": true, "baja": true, "cancelar": true, "unsub": true,
	}
	optOutFillers = map[string]bool{
		"please": true, "pls": true, "plz": true, "now": true, "all": true, "it": true, "me": true,
		"thanks": true, "thank": true, "you": true, "por": true, "favor": true, "ya": true, "todo": true,
		"gracias": true, "de": true, "dar": true, "darme": true,
	}
)

// optOutOnlyWords reports whether the words of s (lower case, letters and
// digits only) are all opt-out words or fillers, with at least one opt-out
// word; "opt out" counts as one word.
func optOutOnlyWords(s string) bool {
	s = strings.ReplaceAll(" "+s+" ", " opt out ", " optout ")
	found := false
	for _, w := range strings.Fields(s) {
		switch {
		case optOutWords[w]:
			found = true
		case !optOutFillers[w]:
			return false
		}
	}
	return found
}

var deaccent = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ü", "u", "ñ", "n", "'", "", "’", "")

// OptOutPhrase reports whether body is a natural-language opt-out, and in
// which language.
func OptOutPhrase(body string) (bool, string) {
	s := deaccent.Replace(strings.ToLower(bot.Fold(body)))
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}), " ")
	if optOutOnlyWords(s) {
		lang := bot.English
		if strings.Contains(s, "parar") || strings.Contains(s, "baja") || strings.Contains(s, "cancelar") || strings.Contains(s, "favor") {
			lang = bot.Spanish
		}
		return true, lang
	}
	for lang, phrases := range optOutPhrases {
		for _, re := range phrases {
			if re.MatchString(s) {
				return true, lang
			}
		}
	}
	return false, ""
}
