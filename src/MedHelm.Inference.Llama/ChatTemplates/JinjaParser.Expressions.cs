using System.Globalization;

namespace MedHelm.Inference.Llama.ChatTemplates;

internal sealed partial class JinjaParser
{
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
}
