package store

import (
	"fmt"

	"nudges/bot"
)

// Plan implements bot.Plans.
func (t *Tx) Plan(id uint64) (*bot.Plan, error) {
	p := &bot.Plan{}
	ok, err := t.getJSON(bPlans, itob(id), p)
	if !ok || err != nil {
		return nil, err
	}
	return p, nil
}

// Plans implements bot.Plans.
func (t *Tx) Plans() ([]bot.Plan, error) {
	var out []bot.Plan
	err := t.b(bPlans).ForEach(func(k, v []byte) error {
		var p bot.Plan
		if err := jsonDecode(v, &p); err != nil {
			return fmt.Errorf("decode plan %d: %w", btoi(k), err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// PutPlan implements bot.Plans.
func (t *Tx) PutPlan(p *bot.Plan) error {
	if p.ID == 0 {
		id, err := t.nextID(bPlans)
		if err != nil {
			return err
		}
		p.ID = id
	}
	return t.putJSON(bPlans, itob(p.ID), p)
}
