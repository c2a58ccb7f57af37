package card

// secret keeps a value where fmt's reflection cannot print it. When a Number
// or a Key sits in an unexported struct field, fmt cannot call its methods and
// prints its fields instead, dereferencing pointers to structs and arrays on
// the way (always, for a verb that does not fit the value, such as %s). A
// function is the one thing it never looks into: it prints its address. The
// pointer keeps Number and Key comparable with ==.
type secret[T any] struct{ get *func() T }

func newSecret[T any](v T) secret[T] {
	get := func() T { return v }
	return secret[T]{get: &get}
}

// value returns the held value and whether there is one (false for the zero
// secret).
func (s secret[T]) value() (T, bool) {
	if s.get == nil {
		var zero T
		return zero, false
	}
	return (*s.get)(), true
}
