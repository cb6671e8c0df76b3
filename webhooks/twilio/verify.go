package twilio

import (
	"context"
	"errors"
	"fmt"
	"strings"

	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	messaging "github.com/twilio/twilio-go/rest/messaging/v1"

	"nudges/bot"
)

// Toll-free verification statuses Twilio reports (others are pending),
// compared without case: Twilio writes them in capitals, TWILIO_APPROVED.
const (
	tfApproved = "twilio_approved"
	tfRejected = "twilio_rejected"
)

// optInType is how a client's subscribers opt in: they text a keyword.
const optInType = "VIA_TEXT"

// SubmitVerification implements bot.TollFreeVerifier: POST
// /v1/Tollfree/Verifications with the client's registration.
func (n *Numbers) SubmitVerification(ctx context.Context, own bot.OwnNumber, r bot.Registration) (string, error) {
	if own.PhoneSID == "" {
		return "", errors.New("submit verification: the number has no sid yet")
	}
	p := new(messaging.CreateTollfreeVerificationParams).
		SetTollfreePhoneNumberSid(own.PhoneSID).SetBusinessName(r.BusinessName).SetBusinessWebsite(r.Website).
		SetNotificationEmail(r.Email).SetUseCaseCategories([]string{r.UseCase}).SetUseCaseSummary(r.OptIn).
		SetProductionMessageSample(r.Sample).SetOptInImageUrls([]string{r.OptInImage}).SetOptInType(optInType).
		SetMessageVolume(r.Volume).SetBusinessStreetAddress(r.Street).SetBusinessCity(r.City).
		SetBusinessStateProvinceRegion(r.Region).SetBusinessPostalCode(r.PostalCode).SetBusinessCountry("US").
		SetBusinessContactFirstName(r.ContactFirst).SetBusinessContactLastName(r.ContactLast).
		SetBusinessContactEmail(r.Email).SetBusinessContactPhone(string(r.ContactPhone)).
		SetExternalReferenceId(own.PhoneSID)
	v, err := n.messaging(ctx).CreateTollfreeVerification(p)
	if err != nil {
		return "", fmt.Errorf("submit toll-free verification: %w", err)
	}
	if v.Sid == nil {
		return "", errors.New("submit toll-free verification: Twilio answered without a sid")
	}
	return *v.Sid, nil
}

// Verification implements bot.NumberProvider: a toll-free number's
// verification status (pending until submitted); a local number stays
// verifying until the operator marks it registered.
func (n *Numbers) Verification(ctx context.Context, own bot.OwnNumber) (bot.NumberState, string, error) {
	if own.Kind != bot.NumberTollFree || own.VerificationSID == "" {
		return bot.NumberVerifying, "", nil
	}
	v, err := n.messaging(ctx).FetchTollfreeVerification(own.VerificationSID)
	if err != nil {
		return bot.NumberVerifying, "", fmt.Errorf("fetch toll-free verification: %w", err)
	}
	switch strings.ToLower(deref(v.Status)) {
	case tfApproved:
		return bot.NumberReady, "", nil
	case tfRejected:
		return bot.NumberRejected, deref(v.RejectionReason), nil
	}
	return bot.NumberVerifying, "", nil
}

// Assign implements bot.NumberAssigner: the account's number p (by
// PhoneNumber) goes into the client's Messaging Service.
func (n *Numbers) Assign(ctx context.Context, c bot.Client, p bot.Phone) (bot.OwnNumber, error) {
	own := bot.OwnNumber{Kind: bot.NumberLocal}
	if c.Own != nil {
		own = *c.Own
	}
	list, err := n.rest(ctx).ListIncomingPhoneNumber(new(openapi.ListIncomingPhoneNumberParams).
		SetPhoneNumber(string(p)).SetPageSize(5).SetLimit(5))
	if err != nil {
		return own, fmt.Errorf("look for %s in the account: %w", p, err)
	}
	if len(list) == 0 || list[0].Sid == nil {
		return own, &bot.Error{Code: bot.ENOTFOUND, Message: string(p) + " is not a number of this Twilio account"}
	}
	svc, err := n.service(ctx, c.Phone)
	if err != nil {
		return own, err
	}
	if err := n.addToService(ctx, svc, *list[0].Sid); err != nil {
		return own, err
	}
	own.Phone, own.PhoneSID, own.ServiceSID, own.State = p, *list[0].Sid, svc, bot.NumberVerifying
	return own, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
