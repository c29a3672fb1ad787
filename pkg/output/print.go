package output

import (
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"
)

// Table formats, handled by the command's own table; every other -o value is a
// cli-runtime printer.
const (
	FormatTable = ""
	FormatWide  = "wide"
)

// Formats returns the values -o accepts, for help text and errors.
func Formats() []string {
	out := []string{"wide"}
	out = append(out, genericclioptions.NewJSONYamlPrintFlags().AllowedFormats()...)
	out = append(out, genericclioptions.NewKubeTemplatePrintFlags().AllowedFormats()...)
	return out
}

// IsTable reports whether format is printed as a table.
func IsTable(format string) bool { return format == FormatTable || format == FormatWide }

// Printer returns kubectl's printer for json, yaml, jsonpath=..., go-template=... and
// their -file forms.
func Printer(format string) (printers.ResourcePrinter, error) {
	jy := genericclioptions.NewJSONYamlPrintFlags()
	if p, err := jy.ToPrinter(format); !genericclioptions.IsNoCompatiblePrinterError(err) {
		return p, err
	}
	tmpl := genericclioptions.NewKubeTemplatePrintFlags()
	if p, err := tmpl.ToPrinter(format); !genericclioptions.IsNoCompatiblePrinterError(err) {
		return p, err
	}
	return nil, fmt.Errorf("unknown output format %q: allowed formats are %s", format, strings.Join(Formats(), ", "))
}

// ValidateFormat checks an -o value without printing anything.
func ValidateFormat(format string) error {
	if IsTable(format) {
		return nil
	}
	_, err := Printer(format)
	return err
}

// PrintObject prints a report with the printer for format.
func PrintObject(w io.Writer, format string, obj runtime.Object) error {
	p, err := Printer(format)
	if err != nil {
		return err
	}
	return p.PrintObj(obj, w)
}
