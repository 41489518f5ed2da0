<?php
/**
 * Premium post content: the part inside [goldcoin_unlock]…[/goldcoin_unlock] or the "Gold Coins: premium content"
 * block reaches only users the sidecar says are entitled. Everyone else gets a locked box (teaser, unlock widget);
 * after an unlock the widget fetches the part from goldcoin/v1/posts/<id>/premium. Feeds, excerpts and search
 * never see it.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Premium {
	const BLOCK       = 'goldcoin/premium-content';
	const SHORTCODE   = 'goldcoin_unlock';
	const ROUTE       = '/posts/(?P<id>\d+)/premium';
	/** The post's content without its premium parts: what search matches, kept beside the post on every save. */
	const PUBLIC_META = '_goldcoin_public_content';
	const STYLE       = 'goldcoin-premium';

	/** The next part number per post rendered in this request: the page and the REST route count alike. */
	private static array $next_part = array();
	/** Posts whose locked box already carries an unlock widget on this page: one widget per post. */
	private static array $widget_for = array();
	/** While the REST route renders: the parts revealed, in order; null otherwise. */
	private static ?array $collected = null;
	/** While the REST route renders: whether some part stayed locked because the sidecar could not be asked. */
	private static bool $unchecked = false;

	public static function register(): void {
		add_action( 'rest_api_init', array( __CLASS__, 'routes' ) );
		add_action( 'save_post', array( __CLASS__, 'remember_public_content' ), 20, 2 );
		add_filter( 'posts_search', array( __CLASS__, 'search_public_content' ), 10, 2 );
		add_filter( 'posts_search_orderby', array( __CLASS__, 'search_public_content' ), 10, 2 );
	}

	/** [goldcoin_unlock teaser="…" post_id="…"]hidden[/goldcoin_unlock]; post_id names the post that must be bought, this one by default. */
	public static function shortcode( array $atts, string $content ): string {
		$atts    = shortcode_atts( array( 'post_id' => 0, 'teaser' => '' ), $atts, self::SHORTCODE );
		$post_id = absint( $atts['post_id'] );
		return self::part( $post_id > 0 ? $post_id : (int) get_the_ID(), (string) $atts['teaser'], static fn (): string => do_shortcode( $content ) );
	}

	/** The block's inner blocks arrive rendered as $content; it is returned only to the entitled. */
	public static function render_block( array $attributes, string $content ): string {
		return self::part( (int) get_the_ID(), (string) ( $attributes['teaser'] ?? '' ), static fn (): string => $content );
	}

	private static function part( int $post_id, string $teaser, callable $inner ): string {
		$source                     = (int) get_the_ID();
		$index                      = self::$next_part[ $source ] ?? 0;
		self::$next_part[ $source ] = $index + 1;
		// Feed readers and the caches between them share what they fetch: a feed never carries a premium part.
		$state = is_feed() ? 'feed' : Goldcoin_Entitlements::state( $post_id );
		if ( Goldcoin_Entitlements::ENTITLED === $state ) {
			return self::open( $post_id, $index, (string) $inner() );
		}
		self::$unchecked = self::$unchecked || Goldcoin_Entitlements::UNAVAILABLE === $state;
		self::enqueue_style();
		$widget = '';
		if ( Goldcoin_Entitlements::NOT_ENTITLED === $state && null === self::$collected && ! isset( self::$widget_for[ $post_id ] ) ) {
			self::$widget_for[ $post_id ] = true;
			$widget                       = Goldcoin_Widget::element( 'unlock', $post_id, array( 'premium-url' => self::route_url( $source ) ) );
		}
		$permalink = get_permalink( $source );
		return Goldcoin_Templates::html(
			'premium-locked',
			array(
				'state'     => $state,
				'teaser'    => $teaser,
				'widget'    => $widget,
				'post_id'   => $post_id,
				'source_id' => $source,
				'part'      => $index,
				'permalink' => $permalink ? $permalink : home_url(),
				'login_url' => wp_login_url( $permalink ? $permalink : home_url() ),
			)
		);
	}

	private static function open( int $post_id, int $index, string $html ): string {
		// The page now holds what one reader bought: no page cache or proxy may keep it.
		Goldcoin_Widget::no_cache();
		if ( null !== self::$collected ) {
			self::$collected[] = array( 'index' => $index, 'html' => wp_kses_post( $html ) );
		}
		$widget = '';
		$file   = (int) get_post_meta( $post_id, Goldcoin_Meta_Box::FILE_KEY, true );
		if ( $file > 0 && null === self::$collected && ! isset( self::$widget_for[ $post_id ] ) && ! is_admin() ) {
			// A buyer still needs the download button that the locked box carried.
			self::$widget_for[ $post_id ] = true;
			$widget                       = Goldcoin_Widget::element( 'unlock', $post_id );
		}
		return Goldcoin_Templates::html( 'premium-open', array( 'content' => $html, 'widget' => $widget, 'post_id' => $post_id, 'part' => $index ) );
	}

	public static function route_url( int $post_id ): string {
		return rest_url( Goldcoin_Rest::NAMESPACE . '/posts/' . $post_id . '/premium' );
	}

	public static function enqueue_style(): void {
		if ( ! wp_style_is( self::STYLE, 'registered' ) ) {
			wp_register_style( self::STYLE, plugins_url( 'assets/css/goldcoin-premium.css', GOLDCOIN_PLUGIN_FILE ), array(), GOLDCOIN_VERSION );
		}
		wp_enqueue_style( self::STYLE );
	}

	public static function routes(): void {
		register_rest_route(
			Goldcoin_Rest::NAMESPACE,
			self::ROUTE,
			array(
				'methods'             => 'GET',
				'callback'            => array( __CLASS__, 'premium' ),
				'permission_callback' => static fn (): bool => is_user_logged_in(),
				'args'                => array(
					'id' => array( 'type' => 'integer', 'minimum' => 1, 'sanitize_callback' => 'absint' ),
				),
			)
		);
	}

	/**
	 * The post's premium parts the sidecar has just confirmed for this user (each part asks about the post it sells,
	 * this one unless its post_id says otherwise), rendered by WordPress as the page would render them and passed
	 * through wp_kses_post. A user entitled to none of them gets 403 and not a byte of them.
	 */
	public static function premium( WP_REST_Request $request ) {
		$post_id = (int) $request->get_param( 'id' );
		$post    = get_post( $post_id );
		if ( ! $post instanceof WP_Post || ! is_post_publicly_viewable( $post ) || ! current_user_can( 'read_post', $post_id ) || post_password_required( $post ) ) {
			return new WP_Error( 'goldcoin_post_not_found', __( 'There is no such post.', 'goldcoin' ), array( 'status' => 404 ) );
		}
		$GLOBALS['post'] = $post; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- the_content renders the post in the loop's globals
		setup_postdata( $post );
		self::$collected = array();
		self::$unchecked = false;
		self::$next_part = array();
		apply_filters( 'the_content', $post->post_content ); // phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals.NonPrefixedHooknameFound -- WordPress's own filter
		$parts           = self::$collected;
		self::$collected = null;
		wp_reset_postdata();
		if ( array() === $parts && self::$unchecked ) {
			return new WP_Error( 'goldcoin_sidecar_unavailable', __( 'Gold Coins cannot check your purchase right now. Please try again in a moment.', 'goldcoin' ), array( 'status' => 503 ) );
		}
		if ( array() === $parts ) {
			return new WP_Error( 'goldcoin_not_entitled', __( 'Unlock this post to read its premium content.', 'goldcoin' ), array( 'status' => 403 ) );
		}
		// The REST server sends WordPress's no-cache headers last, over the response's own: make those the strict ones.
		add_filter( 'nocache_headers', static fn ( array $headers ): array => array( 'Cache-Control' => 'no-store, private' ) + $headers );
		return new WP_REST_Response( array( 'post_id' => $post_id, 'parts' => $parts ) );
	}

	/** Whether content has a premium part: the enclosing shortcode or the block. */
	public static function has_hidden( string $content ): bool {
		return has_block( self::BLOCK, $content ) || str_contains( $content, '[/' . self::SHORTCODE . ']' );
	}

	/** The content with every premium part removed (the self-closing [goldcoin_unlock] widget stays). */
	public static function public_content( string $content ): string {
		if ( has_block( self::BLOCK, $content ) ) {
			$content = serialize_blocks( self::without_premium_blocks( parse_blocks( $content ) ) );
		}
		$regex = '/' . get_shortcode_regex( array( self::SHORTCODE ) ) . '/';
		return (string) preg_replace_callback(
			$regex,
			static function ( array $m ): string {
				$escaped   = '[' === $m[1] && ']' === $m[6];
				$enclosing = str_ends_with( $m[0], '[/' . self::SHORTCODE . ']' . $m[6] );
				return ! $escaped && $enclosing ? $m[1] . $m[6] : $m[0];
			},
			$content
		);
	}

	/** Drops premium blocks at any depth, with the placeholder each left in its parent's innerContent. */
	private static function without_premium_blocks( array $blocks ): array {
		$kept = array();
		foreach ( $blocks as $block ) {
			if ( self::BLOCK === ( $block['blockName'] ?? null ) ) {
				continue;
			}
			if ( ! empty( $block['innerBlocks'] ) ) {
				$inner   = array();
				$content = array();
				$i       = 0;
				foreach ( $block['innerContent'] as $piece ) {
					if ( null !== $piece ) {
						$content[] = $piece;
						continue;
					}
					$child = $block['innerBlocks'][ $i++ ];
					if ( self::BLOCK !== ( $child['blockName'] ?? null ) ) {
						$inner[]   = self::without_premium_blocks( array( $child ) )[0];
						$content[] = null;
					}
				}
				$block['innerBlocks']  = $inner;
				$block['innerContent'] = $content;
			}
			$kept[] = $block;
		}
		return $kept;
	}

	public static function remember_public_content( int $post_id, WP_Post $post ): void {
		if ( wp_is_post_revision( $post_id ) || wp_is_post_autosave( $post_id ) ) {
			return;
		}
		if ( self::has_hidden( (string) $post->post_content ) ) {
			update_post_meta( $post_id, self::PUBLIC_META, wp_slash( self::public_content( (string) $post->post_content ) ) );
		} else {
			delete_post_meta( $post_id, self::PUBLIC_META );
		}
	}

	/**
	 * Searches match a post's public content, never its premium parts: a post whose premium content has not been
	 * saved since the plugin arrived matches by title and excerpt only. Only those who may edit every post (and so
	 * read every part anyway) search whole posts; anyone else could learn a hidden word from whether a post matches.
	 */
	public static function search_public_content( $sql, $query ) {
		global $wpdb;
		if ( ! is_string( $sql ) || '' === $sql || current_user_can( 'edit_others_posts' ) ) {
			return $sql;
		}
		$column = "{$wpdb->posts}.post_content";
		$public = $wpdb->prepare(
			"COALESCE((SELECT goldcoin_pc.meta_value FROM {$wpdb->postmeta} goldcoin_pc WHERE goldcoin_pc.post_id = {$wpdb->posts}.ID AND goldcoin_pc.meta_key = %s LIMIT 1), IF(LOCATE(%s, {$column}) > 0 OR LOCATE(%s, {$column}) > 0, '', {$column}))",
			self::PUBLIC_META,
			'[/' . self::SHORTCODE . ']',
			'<!-- wp:' . self::BLOCK
		);
		return str_replace( $column . ' ', $public . ' ', $sql );
	}
}
