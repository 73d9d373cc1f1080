package observability

import (
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Price is what a model charges, in US dollars per million tokens.
// CacheRead and CacheWrite price the input tokens read from or written to
// the provider's prompt cache; a zero CacheRead or CacheWrite means those
// tokens cost the Input price.
type Price struct {
	Input, Output, CacheRead, CacheWrite float64
}

// Prices maps a model id to its price. Cost looks a model up by its exact
// id, then without a "provider/" prefix, then by the longest key that,
// followed by "-", starts the id (so "claude-sonnet-4-5" prices
// "claude-sonnet-4-5-20250929"). Operators override or extend the default
// table by copying DefaultPrices and setting entries.
type Prices map[string]Price

// DefaultPrices returns a new copy of the built-in table: list prices of
// common current OpenAI, Anthropic and Google models (standard tier, short
// prompts) as published at the time of this release.
func DefaultPrices() Prices {
	return Prices{
		"gpt-5":             {Input: 1.25, Output: 10, CacheRead: 0.125},
		"gpt-5-mini":        {Input: 0.25, Output: 2, CacheRead: 0.025},
		"gpt-5-nano":        {Input: 0.05, Output: 0.40, CacheRead: 0.005},
		"gpt-4.1":           {Input: 2, Output: 8, CacheRead: 0.50},
		"gpt-4.1-mini":      {Input: 0.40, Output: 1.60, CacheRead: 0.10},
		"gpt-4.1-nano":      {Input: 0.10, Output: 0.40, CacheRead: 0.025},
		"gpt-4o":            {Input: 2.50, Output: 10, CacheRead: 1.25},
		"gpt-4o-mini":       {Input: 0.15, Output: 0.60, CacheRead: 0.075},
		"o3":                {Input: 2, Output: 8, CacheRead: 0.50},
		"o4-mini":           {Input: 1.10, Output: 4.40, CacheRead: 0.275},
		"claude-opus-4":     {Input: 15, Output: 75, CacheRead: 1.50, CacheWrite: 18.75},
		"claude-opus-4-1":   {Input: 15, Output: 75, CacheRead: 1.50, CacheWrite: 18.75},
		"claude-sonnet-4":   {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
		"claude-sonnet-4-5": {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
		"claude-3-7-sonnet": {Input: 3, Output: 15, CacheRead: 0.30, CacheWrite: 3.75},
		"claude-haiku-4-5":  {Input: 1, Output: 5, CacheRead: 0.10, CacheWrite: 1.25},
		"claude-3-5-haiku":  {Input: 0.80, Output: 4, CacheRead: 0.08, CacheWrite: 1},
		"gemini-2.5-pro":    {Input: 1.25, Output: 10, CacheRead: 0.31},
		"gemini-2.5-flash":  {Input: 0.30, Output: 2.50, CacheRead: 0.075},
		"gemini-2.0-flash":  {Input: 0.10, Output: 0.40, CacheRead: 0.025},
	}
}

// Lookup returns the price of model and whether the table has one.
func (p Prices) Lookup(model string) (Price, bool) {
	if model == "" {
		return Price{}, false
	}
	if pr, ok := p[model]; ok {
		return pr, true
	}
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		model = model[i+1:]
		if pr, ok := p[model]; ok {
			return pr, true
		}
	}
	best, found := "", false
	for k := range p {
		if len(k) > len(best) && strings.HasPrefix(model, k+"-") {
			best, found = k, true
		}
	}
	return p[best], found
}

// Cost returns the price in US dollars of the tokens s carries, or nil when
// s carries no tokens or its model has no price. Cache-read and cache-write
// tokens, part of the input tokens, are priced at their own rates; the rest
// of the input at the Input price.
func (p Prices) Cost(s *admin.Span) *float64 {
	if s.InputTokens == 0 && s.OutputTokens == 0 {
		return nil
	}
	pr, ok := p.Lookup(s.Model)
	if !ok {
		return nil
	}
	cacheRead, cacheWrite := s.CacheReadTokens, s.CacheWriteTokens
	plain := s.InputTokens - cacheRead - cacheWrite
	if plain < 0 {
		plain = 0
	}
	rate := func(r float64) float64 {
		if r == 0 {
			return pr.Input
		}
		return r
	}
	c := (float64(plain)*pr.Input + float64(cacheRead)*rate(pr.CacheRead) + float64(cacheWrite)*rate(pr.CacheWrite) +
		float64(s.OutputTokens)*pr.Output) / 1e6
	return &c
}
