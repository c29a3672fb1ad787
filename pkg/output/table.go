// Package output holds the one table writer of kubectl-eksiam, configured to look like
// kubectl's own tables: no borders, left-aligned, UPPERCASE headers, three spaces
// between columns and no trailing spaces.
package output

import (
	"bytes"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// columnGap is the space kubectl's printers leave between columns.
const columnGap = "   "

// Table is a header and rows of cells.
type Table struct {
	Headers []string
	Rows    [][]string
}

// Append adds a row.
func (t *Table) Append(cells ...string) { t.Rows = append(t.Rows, cells) }

// Write renders t to w. noHeaders drops the header line.
func (t *Table) Write(w io.Writer, noHeaders bool) error {
	if len(t.Rows) == 0 && noHeaders {
		return nil
	}
	var buf bytes.Buffer
	table := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenRows: tw.Off, BetweenColumns: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off, ShowFooterLine: tw.Off, ShowTop: tw.Off, ShowBottom: tw.Off},
			},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
				Padding:    tw.CellPadding{Global: tw.Padding{Left: "", Right: columnGap, Overwrite: true}},
			},
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoFormat: tw.Off, AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
				Padding:    tw.CellPadding{Global: tw.Padding{Left: "", Right: columnGap, Overwrite: true}},
			},
			Behavior: tw.Behavior{TrimSpace: tw.Off},
		}),
	)
	if !noHeaders {
		headers := make([]string, len(t.Headers))
		for i, h := range t.Headers {
			headers[i] = strings.ToUpper(h)
		}
		table.Header(headers)
	}
	for _, r := range t.Rows {
		if err := table.Append(r); err != nil {
			return err
		}
	}
	if err := table.Render(); err != nil {
		return err
	}
	// Cells are padded to the column width; kubectl's lines carry no trailing spaces.
	var out strings.Builder
	for line := range strings.Lines(buf.String()) {
		line = strings.TrimRight(line, " \n")
		if line == "" {
			continue
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	_, err := io.WriteString(w, out.String())
	return err
}
