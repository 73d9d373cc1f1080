package admin

// Page limits applied by the Admin.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// List is one page of a listing. Next is the cursor for the following page
// (Page.After); empty on the last page.
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// paginate normalises the page, fetches one row more than asked to learn
// whether another page follows, and returns the page with its cursor.
func paginate[T any](page Page, fetch func(Page) ([]T, error), id func(T) string) (List[T], error) {
	if page.Limit <= 0 {
		page.Limit = DefaultPageLimit
	}
	if page.Limit > MaxPageLimit {
		return List[T]{}, invalid("limit", "must be at most %d", MaxPageLimit)
	}
	want := page.Limit
	page.Limit++
	items, err := fetch(page)
	if err != nil {
		return List[T]{}, err
	}
	out := List[T]{Items: items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if len(items) > want {
		out.Items = items[:want]
		out.Next = id(out.Items[want-1])
	}
	return out, nil
}
