using System.Globalization;

namespace MedHelm.Inference.Llama.ChatTemplates;

/// <summary>
/// Parses the Jinja subset chat templates use into <see cref="JinjaNode"/>s. Anything outside the subset is a
/// <see cref="ChatTemplateException"/> naming the construct and its line and column.
/// </summary>
internal sealed class JinjaParser
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

    // ---- expressions, lowest precedence first ----

    private JinjaExpr ParseExpression()
    {
        var first = ParseConditional();
        if (Current.Value != "," || Current.Kind != JinjaTokenKind.Symbol)
        {
            return first;
        }

        var items = new List<JinjaExpr> { first };
        while (Accept(","))
        {
            items.Add(ParseConditional());
        }

        return new ListExpr(first.Position, items, true);
    }

    private JinjaExpr ParseConditional()
    {
        var value = ParseOr();
        while (AcceptKeyword("if"))
        {
            var test = ParseOr();
            var otherwise = AcceptKeyword("else") ? ParseConditional() : null;
            value = new ConditionalExpr(value.Position, test, value, otherwise);
        }

        return value;
    }

    private JinjaExpr ParseOr()
    {
        var left = ParseAnd();
        while (AcceptKeyword("or"))
        {
            left = new BinaryExpr(left.Position, "or", left, ParseAnd());
        }

        return left;
    }

    private JinjaExpr ParseAnd()
    {
        var left = ParseNot();
        while (AcceptKeyword("and"))
        {
            left = new BinaryExpr(left.Position, "and", left, ParseNot());
        }

        return left;
    }

    private JinjaExpr ParseNot()
    {
        var t = Current;
        return AcceptKeyword("not") ? new UnaryExpr(t.Position, "not", ParseNot()) : ParseComparison();
    }

    private JinjaExpr ParseComparison()
    {
        var left = ParseAdditive();
        while (true)
        {
            var t = Current;
            string op;
            if (t.Kind == JinjaTokenKind.Symbol && t.Value is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                op = t.Value;
                _i++;
            }
            else if (AcceptKeyword("in"))
            {
                op = "in";
            }
            else if (t is { Kind: JinjaTokenKind.Identifier, Value: "not" } && _tokens[_i + 1] is { Kind: JinjaTokenKind.Identifier, Value: "in" })
            {
                _i += 2;
                op = "not in";
            }
            else
            {
                return left;
            }

            left = new BinaryExpr(t.Position, op, left, ParseAdditive());
        }
    }

    private JinjaExpr ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (Current.Kind == JinjaTokenKind.Symbol && Current.Value is "+" or "-" or "~")
        {
            var op = Current;
            _i++;
            left = new BinaryExpr(op.Position, op.Value, left, ParseMultiplicative());
        }

        return left;
    }

    private JinjaExpr ParseMultiplicative()
    {
        var left = ParseUnary();
        while (Current.Kind == JinjaTokenKind.Symbol && Current.Value is "*" or "/" or "//" or "%")
        {
            var op = Current;
            _i++;
            left = new BinaryExpr(op.Position, op.Value, left, ParseUnary());
        }

        return left;
    }

    private JinjaExpr ParseUnary()
    {
        var t = Current;
        if (t.Kind == JinjaTokenKind.Symbol && t.Value is "-" or "+")
        {
            _i++;
            return new UnaryExpr(t.Position, t.Value, ParseUnary());
        }

        return ParsePostfix(ParsePrimary());
    }

    private JinjaExpr ParsePostfix(JinjaExpr expr)
    {
        while (true)
        {
            var t = Current;
            if (Accept("."))
            {
                var name = Current;
                if (name.Kind is not (JinjaTokenKind.Identifier or JinjaTokenKind.Number))
                {
                    throw Error(name, "expected an attribute name after '.'");
                }

                _i++;
                object key = name.Kind == JinjaTokenKind.Number ? long.Parse(name.Value, CultureInfo.InvariantCulture) : name.Value;
                expr = new MemberExpr(t.Position, expr, new LiteralExpr(name.Position, key), false);
            }
            else if (Accept("["))
            {
                expr = ParseSubscript(expr, t);
            }
            else if (Accept("("))
            {
                var (args, named) = ParseArguments();
                expr = new CallExpr(t.Position, expr, args, named);
            }
            else if (Accept("|"))
            {
                var name = ExpectName("a filter name");
                var (args, named) = Accept("(") ? ParseArguments() : ([], []);
                expr = new FilterExpr(t.Position, expr, name, args, named);
            }
            else if (AcceptKeyword("is"))
            {
                var negated = AcceptKeyword("not");
                var name = Current.Kind == JinjaTokenKind.Identifier ? ExpectName("a test name") : throw Error(Current, "expected a test name after 'is'");
                List<JinjaExpr> args = [];
                if (Accept("("))
                {
                    args = ParseArguments().Args;
                }
                else if (Current.Kind is JinjaTokenKind.Number or JinjaTokenKind.String)
                {
                    args = [ParsePrimary()];
                }

                expr = new TestExpr(t.Position, expr, name, negated, args);
            }
            else
            {
                return expr;
            }
        }
    }

    private JinjaExpr ParseSubscript(JinjaExpr target, JinjaToken open)
    {
        JinjaExpr? start = Current.Value == ":" ? null : ParseExpression();
        if (Accept("]"))
        {
            return new MemberExpr(open.Position, target, start!, true);
        }

        Expect(":");
        JinjaExpr? stop = Current.Value is ":" or "]" ? null : ParseExpression();
        JinjaExpr? step = null;
        if (Accept(":"))
        {
            step = Current.Value == "]" ? null : ParseExpression();
        }

        Expect("]");
        return new SliceExpr(open.Position, target, start, stop, step);
    }

    private (List<JinjaExpr> Args, List<(string, JinjaExpr)> Named) ParseArguments()
    {
        var args = new List<JinjaExpr>();
        var named = new List<(string, JinjaExpr)>();
        while (!Accept(")"))
        {
            if (Current.Kind == JinjaTokenKind.Identifier && _tokens[_i + 1] is { Kind: JinjaTokenKind.Symbol, Value: "=" })
            {
                var name = Current.Value;
                _i += 2;
                named.Add((name, ParseConditional()));
            }
            else
            {
                args.Add(ParseConditional());
            }

            if (!Accept(","))
            {
                Expect(")");
                break;
            }
        }

        return (args, named);
    }

    private JinjaExpr ParsePrimary()
    {
        var t = Current;
        _i++;
        switch (t.Kind)
        {
            case JinjaTokenKind.Number:
                return new LiteralExpr(t.Position, t.Value.Contains('.')
                    ? double.Parse(t.Value, CultureInfo.InvariantCulture)
                    : (object)long.Parse(t.Value, CultureInfo.InvariantCulture));
            case JinjaTokenKind.String:
                var text = t.Value;
                while (Current.Kind == JinjaTokenKind.String)
                {
                    text += Current.Value;
                    _i++;
                }

                return new LiteralExpr(t.Position, text);
            case JinjaTokenKind.Identifier:
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(t.Position, true),
                    "false" or "False" => new LiteralExpr(t.Position, false),
                    "none" or "None" => new LiteralExpr(t.Position, null),
                    _ => new NameExpr(t.Position, t.Value),
                };
            case JinjaTokenKind.Symbol when t.Value == "(":
                if (Accept(")"))
                {
                    return new ListExpr(t.Position, [], true);
                }

                var inner = ParseExpression();
                Expect(")");
                return inner;
            case JinjaTokenKind.Symbol when t.Value == "[":
                var items = new List<JinjaExpr>();
                while (!Accept("]"))
                {
                    items.Add(ParseConditional());
                    if (!Accept(","))
                    {
                        Expect("]");
                        break;
                    }
                }

                return new ListExpr(t.Position, items, false);
            case JinjaTokenKind.Symbol when t.Value == "{":
                var pairs = new List<(JinjaExpr, JinjaExpr)>();
                while (!Accept("}"))
                {
                    var key = ParseConditional();
                    Expect(":");
                    pairs.Add((key, ParseConditional()));
                    if (!Accept(","))
                    {
                        Expect("}");
                        break;
                    }
                }

                return new DictExpr(t.Position, pairs);
            default:
                throw Error(t, t.Kind == JinjaTokenKind.End ? "unexpected end of template in an expression" : $"unexpected '{t.Value}' in an expression");
        }
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
