package awsauth

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// Located is one data value read a second time with gopkg.in/yaml.v3, which keeps
// positions, comments, field names as written and duplicate keys. It gives findings
// their line and column and lets edits touch only the entries that change. Parse
// remains the authority on what the authenticator keeps: the two can disagree on
// malformed input (yaml.v3 reads YAML 1.2 and tolerates some input the authenticator
// rejects), and then Root may be set although the authenticator drops the key.
type Located struct {
	Key  string
	Text string
	// Root is the document's top node (a sequence for a well-formed list), or nil when
	// yaml.v3 cannot read the text (Err says why).
	Root *yaml.Node
	Err  error
	// Items are the entries of a sequence, in order.
	Items []Item
	// Block reports a block-style sequence ("- ..." lines), which edits can change
	// line by line; flow style ([...] or JSON) is rewritten as a whole.
	Block bool
	lines []string
}

// Item is one entry of a list.
type Item struct {
	Index int
	Node  *yaml.Node
	// Fields of a mapping entry, in order, duplicates included.
	Fields []Field
	// Lines [Start, End) of the text that belong to the entry (block style only):
	// its comment lines directly above, the "- " line and its continuation lines.
	Start, End int
}

// Field is one key of an entry, as written.
type Field struct {
	Name  string
	Key   *yaml.Node
	Value *yaml.Node
}

// Get returns the last field whose name equals name case-insensitively (what
// encoding/json does), or nil.
func (it *Item) Get(name string) *Field {
	var out *Field
	for i := range it.Fields {
		if strings.EqualFold(it.Fields[i].Name, name) {
			out = &it.Fields[i]
		}
	}
	return out
}

// Locate reads one data value with yaml.v3.
func Locate(key, text string) *Located {
	l := &Located{Key: key, Text: text, lines: strings.SplitAfter(text, "\n")}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		l.Err = err
		return l
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return l
	}
	l.Root = doc.Content[0]
	if l.Root.Kind != yaml.SequenceNode {
		return l
	}
	l.Block = l.Root.Style&yaml.FlowStyle == 0
	for i, n := range l.Root.Content {
		it := Item{Index: i, Node: n}
		if n.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(n.Content); j += 2 {
				it.Fields = append(it.Fields, Field{Name: n.Content[j].Value, Key: n.Content[j], Value: n.Content[j+1]})
			}
		}
		l.Items = append(l.Items, it)
	}
	if l.Block {
		l.computeExtents()
	}
	return l
}

// indentOf returns the column of a line's first non-space character, or -1 for a
// blank line.
func indentOf(line string) int {
	t := strings.TrimLeft(line, " ")
	if strings.TrimSpace(t) == "" {
		return -1
	}
	return len(line) - len(t)
}

func isComment(line string) bool { return strings.HasPrefix(strings.TrimSpace(line), "#") }

// computeExtents finds the lines of each block entry. An entry starts at its "- " line
// (yaml.v3 gives the line of its first key, which is the dash line in the usual
// "- key: value" form, or the line after a lone "-"), preceded by the comment lines
// directly above it, and runs until the next line indented no deeper than its dash.
func (l *Located) computeExtents() {
	n := len(l.lines)
	for i := range l.Items {
		it := &l.Items[i]
		dashLine := it.Node.Line - 1 // 0-based
		dashCol := it.Node.Column - 3
		if dashLine < 0 || dashLine >= n {
			l.Block = false
			return
		}
		// The "- " may stand alone on the line above the entry's first key.
		if d := strings.TrimSpace(l.lines[dashLine]); !strings.HasPrefix(d, "-") && dashLine > 0 && strings.TrimSpace(l.lines[dashLine-1]) == "-" {
			dashLine--
			dashCol = indentOf(l.lines[dashLine])
		} else if idx := strings.Index(l.lines[dashLine], "-"); idx >= 0 && idx < it.Node.Column-1 {
			dashCol = idx
		}
		start := dashLine
		for start > 0 && isComment(l.lines[start-1]) {
			start--
		}
		end := dashLine + 1
		for end < n {
			// A comment, at any indentation, does not end the entry: the entry ends at
			// the first line of content indented no deeper than its dash.
			ind := indentOf(l.lines[end])
			if ind >= 0 && ind <= dashCol && !isComment(l.lines[end]) {
				break
			}
			end++
		}
		// Trailing blank and comment lines go with what follows.
		for end > dashLine+1 && (indentOf(l.lines[end-1]) < 0 || isComment(l.lines[end-1])) {
			end--
		}
		it.Start, it.End = start, end
	}
}

// Lines returns the text's lines, each with its newline.
func (l *Located) Lines() []string { return l.lines }
