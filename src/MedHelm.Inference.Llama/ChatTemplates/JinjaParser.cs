namespace MedHelm.Inference.Llama.ChatTemplates;

/// <summary>
/// Parses the Jinja subset chat templates use into <see cref="JinjaNode"/>s. Anything outside the subset is a
/// <see cref="ChatTemplateException"/> naming the construct and its line and column.
/// </summary>
internal sealed partial class JinjaParser
{
    private static readonly HashSet<string> BlockEnds =
        ["elif", "else", "endif", "endfor", "endset", "endmacro", "endgeneration"];

    private readonly string _source;
    private readonly List<JinjaToken> _tokens;
    private int _i;

    private JinjaParser(string source, List<JinjaToken> tokens)
    {
        _source = source;
        _tokens = tokens;
    }

    public static IReadOnlyList<JinjaNode> Parse(string normalizedSource)
    {
        var parser = new JinjaParser(normalizedSource, JinjaLexer.Tokenize(normalizedSource));
        var body = parser.ParseBody(out var end);
        if (end is not null)
        {
            throw parser.Error(end.Value, $"'{{% {end.Value.Value} %}}' without a matching opening block");
        }

        return body;
    }

    private JinjaToken Current => _tokens[_i];

    private ChatTemplateException Error(JinjaToken at, string message) => ChatTemplateException.At(_source, at.Position, message);

    /// <summary>Parses nodes until the end of input or a block-ending keyword (returned in <paramref name="end"/>, not consumed past its name).</summary>
    private List<JinjaNode> ParseBody(out JinjaToken? end)
    {
        var nodes = new List<JinjaNode>();
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case JinjaTokenKind.End:
                    end = null;
                    return nodes;
                case JinjaTokenKind.Text:
                    _i++;
                    nodes.Add(new TextNode(t.Position, t.Value));
                    break;
                case JinjaTokenKind.OpenExpression:
                    _i++;
                    var expr = ParseExpression();
                    Expect(JinjaTokenKind.CloseExpression, "'}}'");
                    nodes.Add(new OutputNode(t.Position, expr));
                    break;
                case JinjaTokenKind.OpenStatement:
                    var keyword = _tokens[_i + 1];
                    if (keyword.Kind == JinjaTokenKind.Identifier && BlockEnds.Contains(keyword.Value))
                    {
                        end = keyword;
                        _i += 2;
                        return nodes;
                    }

                    _i++;
                    nodes.Add(ParseStatement(t));
                    break;
                default:
                    throw Error(t, $"unexpected '{t.Value}'");
            }
        }
    }

    private JinjaNode ParseStatement(JinjaToken open)
    {
        var keyword = Current;
        if (keyword.Kind != JinjaTokenKind.Identifier)
        {
            throw Error(keyword, "expected a statement name after '{%'");
        }

        _i++;
        switch (keyword.Value)
        {
            case "if":
                return ParseIf(open.Position);
            case "for":
                return ParseFor(open.Position);
            case "set":
                return ParseSet(open.Position);
            case "macro":
                return ParseMacro(open.Position);
            case "break" or "continue":
                CloseStatement();
                return new LoopControlNode(open.Position, keyword.Value == "break");
            case "generation":
                CloseStatement();
                return new BlockNode(open.Position, ParseBlockUntil("endgeneration", keyword));
            default:
                throw Error(keyword, $"unsupported statement '{{% {keyword.Value} %}}'");
        }
    }

    private IfNode ParseIf(int position)
    {
        var test = ParseExpression();
        CloseStatement();
        var then = ParseBody(out var end);
        IReadOnlyList<JinjaNode> otherwise = [];
        switch (end?.Value)
        {
            case "elif":
                otherwise = [ParseIf(end.Value.Position)];
                return new IfNode(position, test, then, otherwise);
            case "else":
                CloseStatement();
                otherwise = ParseBody(out end);
                break;
        }

        if (end?.Value != "endif")
        {
            throw ChatTemplateException.At(_source, position, "'{% if %}' is not closed by '{% endif %}'");
        }

        CloseStatement();
        return new IfNode(position, test, then, otherwise);
    }

    private ForNode ParseFor(int position)
    {
        var targets = new List<string> { ExpectName("a loop variable") };
        while (Accept(","))
        {
            targets.Add(ExpectName("a loop variable"));
        }

        if (!AcceptKeyword("in"))
        {
            throw Error(Current, "expected 'in' in '{% for %}'");
        }

        var iterable = ParseOr();
        var filter = AcceptKeyword("if") ? ParseOr() : null;
        if (Current is { Kind: JinjaTokenKind.Identifier, Value: "recursive" })
        {
            throw Error(Current, "unsupported 'recursive' loop");
        }

        CloseStatement();
        var body = ParseBody(out var end);
        IReadOnlyList<JinjaNode> otherwise = [];
        if (end?.Value == "else")
        {
            CloseStatement();
            otherwise = ParseBody(out end);
        }

        if (end?.Value != "endfor")
        {
            throw ChatTemplateException.At(_source, position, "'{% for %}' is not closed by '{% endfor %}'");
        }

        CloseStatement();
        return new ForNode(position, targets, iterable, filter, body, otherwise);
    }

    private SetNode ParseSet(int position)
    {
        var start = Current;
        JinjaExpr target = new NameExpr(start.Position, ExpectName("a variable name"));
        if (Accept("."))
        {
            target = new MemberExpr(start.Position, target, new LiteralExpr(Current.Position, ExpectName("an attribute name")), false);
        }
        else if (Current.Value == ",")
        {
            var names = new List<JinjaExpr> { target };
            while (Accept(","))
            {
                names.Add(new NameExpr(Current.Position, ExpectName("a variable name")));
            }

            target = new ListExpr(start.Position, names, true);
        }

        if (Accept("="))
        {
            var value = ParseExpression();
            CloseStatement();
            return new SetNode(position, target, value, null);
        }

        if (target is not NameExpr)
        {
            throw Error(Current, "a block '{% set %}' assigns to a single name");
        }

        CloseStatement();
        return new SetNode(position, target, null, ParseBlockUntil("endset", start));
    }

    private MacroNode ParseMacro(int position)
    {
        var name = ExpectName("a macro name");
        Expect("(");
        var parameters = new List<(string, JinjaExpr?)>();
        while (!Accept(")"))
        {
            var p = ExpectName("a macro parameter");
            parameters.Add((p, Accept("=") ? ParseExpression() : null));
            if (!Accept(","))
            {
                Expect(")");
                break;
            }
        }

        CloseStatement();
        return new MacroNode(position, name, parameters, ParseBlockUntil("endmacro", _tokens[_i - 1]));
    }

    private List<JinjaNode> ParseBlockUntil(string endKeyword, JinjaToken opener)
    {
        var body = ParseBody(out var end);
        if (end?.Value != endKeyword)
        {
            throw Error(end ?? opener, $"block is not closed by '{{% {endKeyword} %}}'");
        }

        CloseStatement();
        return body;
    }

    // ---- token helpers ----

    private bool Accept(string symbol)
    {
        if (Current.Kind == JinjaTokenKind.Symbol && Current.Value == symbol)
        {
            _i++;
            return true;
        }

        return false;
    }

    private bool AcceptKeyword(string keyword)
    {
        if (Current.Kind == JinjaTokenKind.Identifier && Current.Value == keyword)
        {
            _i++;
            return true;
        }

        return false;
    }

    private void Expect(string symbol)
    {
        if (!Accept(symbol))
        {
            throw Error(Current, $"expected '{symbol}' but found '{Describe(Current)}'");
        }
    }

    private void Expect(JinjaTokenKind kind, string what)
    {
        if (Current.Kind != kind)
        {
            throw Error(Current, $"expected {what} but found '{Describe(Current)}'");
        }

        _i++;
    }

    private string ExpectName(string what)
    {
        if (Current.Kind != JinjaTokenKind.Identifier)
        {
            throw Error(Current, $"expected {what} but found '{Describe(Current)}'");
        }

        return _tokens[_i++].Value;
    }

    private void CloseStatement() => Expect(JinjaTokenKind.CloseStatement, "'%}'");

    private static string Describe(JinjaToken t) => t.Kind == JinjaTokenKind.End ? "end of template" : t.Value;
}
