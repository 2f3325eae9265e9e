package receipt

import "strings"

// Mask hides a receipt number for logs, metrics and exports: the prefix and the last three
// digits stay, e.g. "EAC*******402". Input that does not parse is masked completely, with a
// fixed width so that not even its length shows; empty input stays empty.
func Mask(number string) string {
	n, err := Parse(number)
	if err != nil {
		if strings.TrimSpace(number) == "" {
			return ""
		}
		return strings.Repeat("*", Length)
	}
	v := n.Value
	return v[:prefixLen] + strings.Repeat("*", len(v)-prefixLen-3) + v[len(v)-3:]
}
