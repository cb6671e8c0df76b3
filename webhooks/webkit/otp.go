package webkit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"nudges/bot"
	"nudges/store"
)

var (
	errIPLimit  = errors.New("per-IP limit reached")
	errPhoneCap = errors.New("per-phone cap reached")
)

// RandomCode is 6 digits from crypto/rand, uniform over 000000–999999.
func RandomCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("random code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// codeHash is the keyed hash a code is stored as; phone binds it to its owner.
func codeHash(secret []byte, p bot.Phone, code string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(p))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// counter is the store key of one of this audience's limit counters.
func (k *Kit) counter(name string) string { return k.aud.Scope + name }

// otpAddr keys the OTP record of a phone and address in this audience.
func (k *Kit) otpAddr(addr string) string { return k.aud.Scope + addr }

// issue runs the OTP request for p from addr inside tx. For a phone that
// may sign in it returns the new code, queued by SMS; for anyone else the
// record moves the same way (so the limits and answers are identical) but
// holds no usable hash and nothing is texted. reqErr is the refusal, if
// any: the flow's (per address) or the phone's cap.
func (k *Kit) issue(tx *store.Tx, p bot.Phone, addr string, now time.Time) (code string, may bool, reqErr, err error) {
	var rec bot.OTPRecord
	if _, err := tx.OTPRecord(p, k.otpAddr(addr), &rec); err != nil {
		return "", false, nil, fmt.Errorf("load otp: %w", err)
	}
	if capped, err := k.phoneCapped(tx, p, addr, now); err != nil || capped {
		return "", false, errPhoneCap, err
	}
	rec.Phone = p
	if may, err = k.aud.May(tx, p); err != nil {
		return "", false, nil, err
	}
	hash := ""
	if may {
		if code, err = k.cfg.Codes(); err != nil {
			return "", false, nil, err
		}
		secret, err := tx.AuthSecret()
		if err != nil {
			return "", false, nil, err
		}
		hash = codeHash(secret, p, code)
	}
	if reqErr := k.policy.Request(&rec, now, hash); reqErr != nil {
		return "", may, reqErr, nil
	}
	if may {
		if err := k.textCode(tx, p, code, now); err != nil {
			return "", false, nil, err
		}
	}
	if err := k.policy.Sent(&rec); err != nil {
		return "", false, nil, err
	}
	if _, err := tx.CountHit(k.counter("codes:"+string(p)), now, time.Hour); err != nil {
		return "", false, nil, err
	}
	if err := tx.PutOTPRecord(p, k.otpAddr(addr), &rec); err != nil {
		return "", false, nil, fmt.Errorf("save otp: %w", err)
	}
	return code, may, nil, nil
}

// phoneCapped reports whether p has had its codes for the hour and addr is
// not one p signed in from lately.
func (k *Kit) phoneCapped(tx *store.Tx, p bot.Phone, addr string, now time.Time) (bool, error) {
	n, err := tx.Hits(k.counter("codes:"+string(p)), now, time.Hour)
	if err != nil || n < k.aud.Limits.PhoneCodesPerHour {
		return false, err
	}
	known, err := tx.Hits(k.knownKey(p, addr), now, k.aud.Limits.KnownFor)
	return known == 0, err
}

// knownKey counts the sign-ins of p from addr.
func (k *Kit) knownKey(p bot.Phone, addr string) string {
	return k.counter("known:" + string(p) + "|" + addr)
}

// textCode puts the code's SMS in the outbox, in the phone's language.
func (k *Kit) textCode(tx *store.Tx, p bot.Phone, code string, now time.Time) error {
	ok, err := bot.Text(tx, now, bot.Note{
		To: p, Kind: bot.KindOTP, Priority: bot.PriorityHigh, Default: k.cfg.DefaultLocale,
		Body: func(lang string) string { return k.cfg.T.T(lang, k.aud.CodeMessage, map[string]any{"Code": code}) },
	})
	if err == nil && !ok {
		k.log.Warn(k.aud.Name+" login code not texted: the phone opted out (text START from it)", "phone", p)
	}
	return err
}

// check runs one OTP check of the code p was sent for addr, and saves the
// record whatever the outcome: checks from one address never use up
// another's code.
func (k *Kit) check(tx *store.Tx, p bot.Phone, addr, code string, now time.Time) (checkErr error, left int, err error) {
	var rec bot.OTPRecord
	if _, err := tx.OTPRecord(p, k.otpAddr(addr), &rec); err != nil {
		return nil, 0, fmt.Errorf("load otp: %w", err)
	}
	secret, err := tx.AuthSecret()
	if err != nil {
		return nil, 0, err
	}
	want := codeHash(secret, p, code)
	checkErr = k.policy.Check(&rec, now, func(stored string) bool {
		return hmac.Equal([]byte(stored), []byte(want))
	})
	if checkErr == nil {
		if may, err := k.aud.May(tx, p); err != nil || !may {
			checkErr = bot.ErrOTPWrong // a phone that may not sign in holds no hash
			if err != nil {
				return nil, 0, err
			}
		}
	}
	if rec.State != bot.OTPNone {
		if err := tx.PutOTPRecord(p, k.otpAddr(addr), &rec); err != nil {
			return nil, 0, fmt.Errorf("save otp: %w", err)
		}
	}
	return checkErr, k.policy.ChecksLeft(&rec), nil
}
